import { withBenchPage } from '../src/bench/chromium';

/**
 * Runs a check worker (an e2e/*Worker.ts module) in a worker of a Vite-served page and returns the checks it posted:
 * every message until `done`, less `adapter` notes; an `error` message or a crash rejects.
 */
export async function checksInWorker<Check>(workerPath: string, request: unknown): Promise<Check[]> {
  const { result } = await withBenchPage((page) =>
    page.evaluate(
      ({ path, message }) =>
        new Promise<unknown[]>((resolve, reject) => {
          const checks: unknown[] = [];
          const worker = new Worker(path, { type: 'module' });
          worker.onmessage = (event: MessageEvent<{ type: string; message?: string }>) => {
            const data = event.data;
            if (data.type === 'done') resolve(checks);
            else if (data.type === 'error') reject(new Error(data.message));
            else if (data.type !== 'adapter') checks.push(data);
          };
          worker.onerror = (event) => reject(new Error(event.message || 'the worker crashed'));
          worker.postMessage(message);
        }),
      { path: workerPath, message: request },
    ),
  );
  return result as Check[];
}
