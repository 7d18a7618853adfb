import { expect, test } from '@playwright/test';
import type { StepReplayCheck } from './stepReplayWorker';
import { checksInWorker } from './workerChecks';

test('a step recorded once and replayed trains exactly as the steps run through tfjs', async () => {
  test.setTimeout(6 * 60_000);
  const checks = await checksInWorker<StepReplayCheck>('/e2e/stepReplayWorker.ts', 'run');
  expect(checks.map((c) => c.name)).toEqual(['plain SGD, cosine schedule', 'batch norm, momentum and weight decay', 'batch norm, crop and flip']);
  for (const check of checks) {
    console.log(`${check.name}: losses ${check.lossesWith.map((l) => l.toFixed(4)).join(' ')}, weight difference ${check.weightDifference}, ` +
      `${check.dispatchesWith} dispatches replayed (${check.dispatchesWithout} through tfjs)`);
    expect(check.lossesWith, check.name).toEqual(check.lossesWithout);
    expect(new Set(check.lossesWith).size, check.name).toBe(check.lossesWith.length);
    expect(check.weightDifference, check.name).toBe(0);
    expect(check.dispatchesWith, check.name).toBe(check.dispatchesWithout);
    expect(check.leakedTensors, check.name).toBe(0);
  }
});
