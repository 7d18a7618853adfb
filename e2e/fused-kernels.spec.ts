import { expect, test } from '@playwright/test';
import type { FusedKernelCheck } from './fusedKernelsWorker';
import { checksInWorker } from './workerChecks';

/** SGD and the ReLU gradient compute exactly what the ops do; batch norm and the global pool sum in another order. */
const TOLERANCE: Record<string, number> = { SGD: 1e-6, ReLU: 1e-6, batch: 1e-5, global: 1e-6 };

test('our WebGPU kernels equal the ops they replace, and WebGPU training steps equal the cpu backend’s', async () => {
  test.setTimeout(6 * 60_000);
  const checks = await checksInWorker<FusedKernelCheck>('/e2e/fusedKernelsWorker.ts', 'run');
  expect(checks.map((c) => c.name)).toEqual([
    'SGD update in place',
    'SGD update in place, momentum',
    'ReLU gradient',
    'batch norm, one pass',
    'batch norm + ReLU, one pass',
    'batch norm, rows in chunks',
    'batch norm + ReLU, rows in chunks',
    'batch norm running averages, in place',
    'global average pool, 1×1 cells',
    'global average pool, 3×3 cells, kept dimensions',
    'global average pool, over the batch as well, left to tfjs',
    'plain SGD',
    'batch norm, momentum and weight decay',
  ]);
  for (const check of checks) {
    if (check.type === 'kernel') {
      console.log(`${check.name}: error ${check.error.toExponential(1)}`);
      expect(check.error, check.name).toBeLessThan(TOLERANCE[check.name.split(' ')[0]!]!);
      expect(check.leakedTensors, check.name).toBe(0);
    } else {
      console.log(`${check.name}: loss error ${check.lossError.toExponential(1)}, update error ${check.updateError.toExponential(1)}`);
      expect(check.backends, check.name).toEqual(['webgpu', 'cpu']);
      expect(check.lossError, check.name).toBeLessThan(1e-4);
      expect(check.updateError, check.name).toBeLessThan(1e-4);
    }
  }
});
