import { describe, expect, it } from 'vitest';
import { epochX, sampleX } from './xAxis';
import type { BatchLossSample, EpochReport } from '../domain/training';

const report: EpochReport = {
  epoch: 2, trainLoss: 1, trainAccuracy: 0.5, testAccuracy: 0.5, examplesPerSecond: 100, trainSeconds: 9,
  epochSeconds: 10, step: 32, examplesSeen: 512, elapsedSeconds: 21.5, numTensors: 121,
};
const sample: BatchLossSample = {
  epoch: 2, batch: 4, batchesPerEpoch: 16, step: 20, examplesSeen: 320, elapsedSeconds: 13.2, loss: 1.2,
};

describe('x-axis transforms', () => {
  it('place an epoch record at its epoch, update step, examples seen or elapsed seconds', () => {
    expect(['epoch', 'step', 'examples', 'seconds'].map((axis) => epochX(report, axis as never))).toEqual([2, 32, 512, 21.5]);
  });

  it('place a live sample between epochs on the epoch axis, and exactly on the others', () => {
    expect(sampleX(sample, 'epoch')).toBe(1.25);
    expect(sampleX(sample, 'step')).toBe(20);
    expect(sampleX(sample, 'examples')).toBe(320);
    expect(sampleX(sample, 'seconds')).toBe(13.2);
  });
});
