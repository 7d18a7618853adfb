/** A tfjs backend the worker can train on. */
export type BackendName = 'webgpu' | 'wasm' | 'webgl' | 'cpu';

/** What trained a recorded run: one of the app's backends, or an exported PyTorch script whose run was imported. */
export type RunBackend = BackendName | 'pytorch';

/** The WebGPU adapter a backend runs on (or, for wasm, its threads), as the page shows it. */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  description: string;
  /** A CPU implementation of WebGPU (SwiftShader): correct but very slow. */
  isSoftware: boolean;
}
