import { expect, test } from '@playwright/test';
import type { WeightGradientCheck } from './weightGradientWorker';
import { checksInWorker } from './workerChecks';

/** Within 1e-4 of the built-in result's scale: sums in another order, nothing more. */
const TOLERANCE = 1e-4;

test('each strategy of the weight gradient, the forward convolution and the input gradient equals tfjs’s WebGPU kernel to 1e-4', async () => {
  test.setTimeout(4 * 60_000);
  const checks = await checksInWorker<WeightGradientCheck>('/e2e/weightGradientWorker.ts', 'kernels');
  // Seven layers × (three weight-gradient strategies, im2col forward, the matrix-product input gradient).
  expect(checks.length).toBe(35);
  for (const check of checks) {
    if (check.type !== 'kernel') throw new Error(`unexpected ${check.type} check`);
    const what = `${check.kernel} ${check.strategy} on ${check.layer}`;
    console.log(`${what}: error ${check.error.toExponential(1)}`);
    expect(check.error, what).toBeLessThan(TOLERANCE);
    expect(check.leakedTensors, what).toBe(0);
  }
});

test('a training step with this adapter’s tables, or one strategy everywhere, equals the all-built-in step to 1e-4', async () => {
  test.setTimeout(6 * 60_000);
  const checks = await checksInWorker<WeightGradientCheck>('/e2e/weightGradientWorker.ts', 'step');
  expect(checks.map((c) => c.type === 'step' && c.policy)).toEqual([
    'this adapter’s tables',
    'weightGradient forward-conv everywhere',
    'weightGradient im2col everywhere',
    'weightGradient gemm everywhere',
    'forward im2col everywhere',
    'inputGradient matmul everywhere',
  ]);
  for (const check of checks) {
    if (check.type !== 'step') throw new Error(`unexpected ${check.type} check`);
    console.log(`${check.policy}: ${check.nonBuiltinLayers} layers off the built-in kernel, update error ${check.updateError.toExponential(1)}`);
    expect(check.nonBuiltinLayers, check.policy).toBeGreaterThan(0);
    expect(check.lossError, check.policy).toBeLessThan(TOLERANCE);
    expect(check.updateError, check.policy).toBeLessThan(TOLERANCE);
    expect(check.leakedTensors, check.policy).toBe(0);
  }
});
