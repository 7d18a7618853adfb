import type { AdapterDescription } from '../src/domain/backend';
import { setUpBackend } from '../src/worker/backend';

/**
 * The worker side of a check worker (e2e/*Worker.ts, run by checksInWorker in e2e/workerChecks.ts): on each request,
 * sets up WebGPU as the app does, runs `checks`, which posts its checks, then says done — or the error, or the first
 * error the GPU reported, since a shader the device refused leaves its output unwritten and no check may pass on
 * what a buffer held before.
 */
export function serveChecks<Check, Request>(checks: (request: Request, adapter: AdapterDescription, post: (check: Check) => void) => Promise<void>): void {
  const scope = self as unknown as {
    postMessage(message: Check | { type: 'done' } | { type: 'error'; message: string }): void;
    onmessage: ((event: MessageEvent<Request>) => void) | null;
  };
  scope.onmessage = async (event) => {
    try {
      const failures: string[] = [];
      const setup = await setUpBackend('webgpu', (reason) => failures.push(reason));
      if (!setup.ok) throw new Error(setup.reason);
      await checks(event.data, setup.adapter!, (check) => scope.postMessage(check));
      if (failures.length > 0) throw new Error(failures[0]);
      scope.postMessage({ type: 'done' });
    } catch (error) {
      scope.postMessage({ type: 'error', message: (error as Error).message });
    }
  };
}
