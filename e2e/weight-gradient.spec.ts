import { expect, test } from '@playwright/test';
import type { WeightGradientCheck } from './weightGradientWorker';
import { checksInWorker } from './workerChecks';

/** Within 1e-4 of the built-in result's scale: sums in another order, nothing more. */
const TOLERANCE = 1e-4;


test('each weight-gradient and forward-convolution strategy equals tfjs’s WebGPU kernel to 1e-4 on the stem, a 1×1, a 3×3 and a 5×5', async () => {
  test.setTimeout(3 * 60_000);
  const checks = await checksInWorker<WeightGradientCheck>('/e2e/weightGradientWorker.ts', 'kernels');
  // Six layers × (two weight-gradient strategies + im2col for FusedConv2D with bias and ReLU, and for Conv2D).
  expect(checks.length).toBe(24);
  for (const check of checks) {
    if (check.type !== 'kernel') throw new Error(`unexpected ${check.type} check`);
    const what = `${check.kernel} ${check.strategy} on ${check.layer}`;
    console.log(`${what}: error ${check.error.toExponential(1)}`);
    expect(check.error, what).toBeLessThan(TOLERANCE);
    expect(check.leakedTensors, what).toBe(0);
  }
});

test('a training step with the shipped tables, or one strategy everywhere, equals the all-built-in step to 1e-4', async () => {
  test.setTimeout(5 * 60_000);
  const checks = await checksInWorker<WeightGradientCheck>('/e2e/weightGradientWorker.ts', 'step');
  expect(checks.map((c) => c.type === 'step' && c.policy)).toEqual([
    'shipped tables',
    'forward-conv weight gradient everywhere',
    'im2col weight gradient everywhere',
    'im2col forward everywhere',
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
