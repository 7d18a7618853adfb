/**
 * Dawn's WebGPU in Node (the webgpu package): navigator.gpu as a browser provides it, so the app's own backend
 * set-up and engine run unchanged on a GPU server without a browser.
 */
export async function installDawn(): Promise<void> {
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]) }, configurable: true });
}
