/** A tfjs backend the worker can train on. */
export type BackendName = 'webgpu' | 'wasm' | 'webgl' | 'cpu';

/** What trained a recorded run: one of the app's backends, or an exported PyTorch script whose run was imported. */
export type RunBackend = BackendName | 'pytorch';
