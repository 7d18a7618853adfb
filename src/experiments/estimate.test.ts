import { expect, it } from 'vitest';
import type { Calibration } from '../domain/machineRates';
import { FIRST_VISIT_CONFIG } from './presets';
import { priceQuickStart, priceRun, priceRuns, priceStudy, quickStartSpeedup, refineCalibration } from './estimate';

const MACS = 1e6;
const CALIBRATION: Calibration = {
  macsPerExample: MACS,
  step: { fixedSeconds: 0.1, secondsPerExample: 0.01 },
  forward: { fixedSeconds: 0.05, secondsPerExample: 0.004 },
  warmupSeconds: 5,
  networkMacs: { quick: MACS, classroom: MACS, reduced: 10 * MACS, faithful: 100 * MACS },
  seconds: 20,
};

it('prices a run: the warm-up, then per epoch each step and each forward pass fixed, each image trained and passed forward', () => {
  const config = { ...FIRST_VISIT_CONFIG, epochs: 2, batchSize: 32, trainSubset: 1000, testSubset: 500, batchNorm: true, bnStats: 'recompute' as const };
  // 32 batches (the last of 8 images); the statistics (two passes of 500) and the test pass (one) take 1,500 images.
  const perEpoch = 32 * 0.1 + 1000 * 0.01 + 3 * 0.05 + 1500 * 0.004;
  expect(priceRun(config, MACS, CALIBRATION)).toEqual({ seconds: expect.closeTo(5 + 2 * perEpoch, 6), scaled: false });
  const running = priceRun({ ...config, bnStats: 'running' }, MACS, CALIBRATION).seconds;
  expect(running).toBeCloseTo(5 + 2 * (perEpoch - 2 * 0.05 - 1000 * 0.004), 6);
});

it('prices a larger network by its multiply-accumulates per image, and says so; the fixed cost per step stays', () => {
  const config = { ...FIRST_VISIT_CONFIG, epochs: 1, batchSize: 100, trainSubset: 1000, testSubset: 0, bnStats: 'running' as const };
  expect(priceRun(config, 3 * MACS, CALIBRATION)).toEqual({ seconds: expect.closeTo(5 + 10 * 0.1 + 3 * 1000 * 0.01, 6), scaled: true });
  const tested = priceRun({ ...config, testSubset: 500 }, 3 * MACS, CALIBRATION).seconds;
  expect(tested).toBeCloseTo(5 + 10 * 0.1 + 3 * 1000 * 0.01 + 0.05 + 3 * 500 * 0.004, 6);
});

it('prices small batches higher per image than large ones', () => {
  const perImage = (batchSize: number) => priceRun({ ...FIRST_VISIT_CONFIG, batchSize, testSubset: 0, bnStats: 'running' }, MACS, { ...CALIBRATION, warmupSeconds: 0 }).seconds;
  expect(perImage(8)).toBeGreaterThan(perImage(256));
});

it('prices a study as its five presets at their own batch sizes and epochs; the larger scales are scaled', () => {
  const classroom = priceStudy('classroom', CALIBRATION);
  expect(classroom.scaled).toBe(false);
  expect(priceStudy('reduced', CALIBRATION)).toMatchObject({ scaled: true });
  expect(priceStudy('faithful', CALIBRATION).seconds).toBeGreaterThan(priceStudy('reduced', CALIBRATION).seconds);
  expect(priceQuickStart(CALIBRATION).scaled).toBe(false);
  expect(priceRuns([FIRST_VISIT_CONFIG, FIRST_VISIT_CONFIG], MACS, CALIBRATION).seconds).toBeCloseTo(2 * priceQuickStart(CALIBRATION).seconds, 6);
});

it('compares two backends by the quick start each would take', () => {
  const slow = { ...CALIBRATION, step: { fixedSeconds: 1, secondsPerExample: 0.1 }, forward: { fixedSeconds: 0.5, secondsPerExample: 0.04 }, warmupSeconds: 50 };
  expect(quickStartSpeedup(CALIBRATION, slow)).toBeCloseTo(10, 6);
});

it('moves the calibration half-way (geometrically) towards what a finished epoch measured', () => {
  // Predicted: a step at batch 32 0.1 + 0.32 = 0.42 s, measured 4 × that; 2 passes of 1,000 images 0.1 + 4 = 4.1 s, measured a quarter.
  const sample = { macsPerExample: MACS, batchSize: 32, examplesPerSecond: 32 / (4 * 0.42), forwardPasses: 2, forwardExamples: 1000, forwardSeconds: 4.1 / 4 };
  const refined = refineCalibration(CALIBRATION, sample);
  expect(refined.step).toEqual({ fixedSeconds: expect.closeTo(0.2, 9), secondsPerExample: expect.closeTo(0.02, 9) });
  expect(refined.forward).toEqual({ fixedSeconds: expect.closeTo(0.025, 9), secondsPerExample: expect.closeTo(0.002, 9) });
  // A scaled network's epoch is compared with the scaled prediction.
  const larger = refineCalibration(CALIBRATION, { ...sample, macsPerExample: 2 * MACS, examplesPerSecond: 32 / (0.1 + 0.64), forwardSeconds: 0.1 + 8 });
  expect(larger.step).toEqual({ fixedSeconds: expect.closeTo(0.1, 9), secondsPerExample: expect.closeTo(0.01, 9) });
  expect(larger.forward).toEqual({ fixedSeconds: expect.closeTo(0.05, 9), secondsPerExample: expect.closeTo(0.004, 9) });
});

it('keeps the calibration where an epoch had no steady rate (one batch) or no forward pass', () => {
  const sample = { macsPerExample: MACS, batchSize: 32, examplesPerSecond: Number.NaN, forwardPasses: 0, forwardExamples: 0, forwardSeconds: 0.5 };
  expect(refineCalibration(CALIBRATION, sample)).toEqual(CALIBRATION);
});
