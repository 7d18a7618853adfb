import { expect, test } from '@playwright/test';
import { withBenchPage } from '../src/bench/chromium';
import type { FromFusedKernelsWorker, FusedKernelCheck } from './fusedKernelsWorker';

/** Runs e2e/fusedKernelsWorker.ts in a worker of a Vite-served page on WebGPU and returns what it checked. */
async function checksInWorker(): Promise<FusedKernelCheck[]> {
  const { result } = await withBenchPage((page) =>
    page.evaluate(
      () =>
        new Promise<FusedKernelCheck[]>((resolve, reject) => {
          const checks: FusedKernelCheck[] = [];
          const worker = new Worker('/e2e/fusedKernelsWorker.ts', { type: 'module' });
          worker.onmessage = (event: MessageEvent<FromFusedKernelsWorker>) => {
            const message = event.data;
            if (message.type === 'done') resolve(checks);
            else if (message.type === 'error') reject(new Error(message.message));
            else checks.push(message);
          };
          worker.onerror = (event) => reject(new Error(event.message || 'the worker crashed'));
          worker.postMessage('run');
        }),
    ),
  );
  return result;
}

test('the one-call WebGPU kernels equal the ops they replace, and WebGPU training steps equal the cpu backend’s', async () => {
  test.setTimeout(5 * 60_000);
  const checks = await checksInWorker();
  expect(checks.map((c) => c.name)).toEqual([
    'SGD update',
    'SGD update, momentum',
    'ReLU gradient',
    'plain SGD',
    'batch norm, momentum and weight decay',
  ]);
  for (const check of checks) {
    if (check.type === 'kernel') {
      console.log(`${check.name}: error ${check.error.toExponential(1)}`);
      expect(check.error, check.name).toBeLessThan(1e-6);
      expect(check.leakedTensors, check.name).toBe(0);
    } else {
      console.log(`${check.name}: loss error ${check.lossError.toExponential(1)}, update error ${check.updateError.toExponential(1)}`);
      expect(check.backends, check.name).toEqual(['webgpu', 'cpu']);
      expect(check.lossError, check.name).toBeLessThan(1e-4);
      expect(check.updateError, check.name).toBeLessThan(1e-4);
    }
  }
});
