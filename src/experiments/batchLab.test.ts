import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type TrainConfig } from '../config/trainConfig';
import { labConfigs, labFindings, parseBatchSizes, scaledLearningRate, updatesPerEpoch } from './batchLab';
import type { RunRecord } from '../domain/run';
import type { EpochReport } from '../domain/training';

describe('parseBatchSizes', () => {
  it('reads a list in any separator and sorts it', () => {
    expect(parseBatchSizes('512, 8;32 128', 60000)).toEqual({ ok: true, sizes: [8, 32, 128, 512] });
  });

  it.each([
    ['8', /at least two/],
    ['8, x', /"x" is not a whole number/],
    ['8, 2.5', /"2.5" is not a whole number/],
    ['8, 0', /"0" is not a whole number/],
    ['8, 8', /listed twice/],
    ['8, 4000', /Batch size \(4000\) cannot exceed the number of training images \(2000\)/],
    ['1,2,3,4,5,6,7,8,9', /At most 8/],
  ])('refuses "%s" with a message', (text, message) => {
    const result = parseBatchSizes(text, 2000);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });
});

describe('the linear scaling rule', () => {
  it('scales the learning rate with the batch size, relative to the reference batch', () => {
    expect(scaledLearningRate(0.05, 64, 64)).toBe(0.05);
    expect(scaledLearningRate(0.05, 64, 512)).toBe(0.4);
    expect(scaledLearningRate(0.05, 64, 8)).toBe(0.00625);
    expect(scaledLearningRate(0.1, 3, 1)).toBe(0.0333333);
  });

  it('is applied only when switched on, and only the batch size and learning rate change', () => {
    const base: TrainConfig = { ...DEFAULT_CONFIG, batchSize: 32, learningRate: 0.1 };
    expect(labConfigs(base, [8, 128], false).map((c) => [c.batchSize, c.learningRate])).toEqual([[8, 0.1], [128, 0.1]]);
    const scaled = labConfigs(base, [8, 128], true);
    expect(scaled.map((c) => [c.batchSize, c.learningRate])).toEqual([[8, 0.025], [128, 0.4]]);
    expect(scaled.map(({ batchSize: _b, learningRate: _l, ...rest }) => rest)).toEqual([
      { ...base, batchSize: undefined, learningRate: undefined },
      { ...base, batchSize: undefined, learningRate: undefined },
    ].map(({ batchSize: _b, learningRate: _l, ...rest }) => rest));
  });
});

const epoch = (n: number, trainLoss: number, examplesPerSecond: number, testAccuracy: number): EpochReport => ({
  epoch: n, trainLoss, trainAccuracy: 0.5, testAccuracy, examplesPerSecond, trainSeconds: 1, epochSeconds: 1, step: n,
  examplesSeen: n * 100, elapsedSeconds: n, numTensors: 100,
});

const labRun = (batchSize: number, epochs: EpochReport[]): RunRecord => ({
  id: `r${batchSize}`, name: '', config: { ...DEFAULT_CONFIG, batchSize, trainSubset: 1000 }, backend: 'webgpu',
  adapter: null, status: 'done', startedAt: 0, warmupSeconds: 1, epochs, batchLosses: [], error: null, group: 'lab', evaluation: null, dataset: null, startedFrom: null,
});

describe('labFindings', () => {
  it('says nothing before two runs have an epoch', () => {
    expect(labFindings([labRun(8, [epoch(1, 2, 10, 0.3)]), labRun(64, [])])).toEqual([]);
  });

  it('describes the d2l pattern from the measured figures', () => {
    const findings = labFindings([
      labRun(128, [epoch(1, 2.1, 40, 0.3), epoch(2, 1.9, 41, 0.35)]),
      labRun(8, [epoch(1, 1.2, 10, 0.6), epoch(2, 0.9, 11, 0.7)]),
    ]);
    expect(findings[0]).toMatch(/batch 8 makes 125 weight updates and batch 128 makes 8.*16× as many steps/);
    expect(findings[1]).toMatch(/After epoch 2, the lowest training loss is batch 8's \(0\.900\).*batch 128's \(1\.900\): more updates/);
    expect(findings[2]).toMatch(/rose from 11\.0 at batch 8 to 41\.0 at batch 128 \(3\.7×\)/);
    expect(findings[3]).toMatch(/batch 8, 70\.0 %/);
  });

  it('compares at the last epoch every run has finished, and reports a contrary result as such', () => {
    const findings = labFindings([
      labRun(8, [epoch(1, 2.3, 12, 0.1), epoch(2, 2.2, 12, 0.1)]),
      labRun(64, [epoch(1, 1.5, 9, 0.4)]),
    ]);
    expect(findings[1]).toMatch(/After epoch 1, the lowest training loss is batch 64's \(1\.500\).*opposite of the d2l study/);
    expect(findings[2]).toMatch(/did not rise with the batch size.*fastest: batch 8/);
  });

  it('explains a batch-norm run whose test accuracy trails its training accuracy after few updates', () => {
    const settled = labRun(8, [{ ...epoch(1, 1.2, 10, 0.6), trainAccuracy: 0.62, step: 125 }]);
    const unsettled = labRun(512, [{ ...epoch(1, 2.1, 40, 0.078), trainAccuracy: 0.41, step: 8 }]);
    const withBatchNorm = (run: RunRecord): RunRecord => ({ ...run, config: { ...run.config, batchNorm: true } });
    const findings = labFindings([withBatchNorm(settled), withBatchNorm(unsettled)]);
    expect(findings).toHaveLength(5);
    expect(findings[3]).toMatch(/^Batch 512: 41\.0 % of its training images right, but 7\.8 % .* after only 8 updates/);
    expect(labFindings([settled, unsettled])).toHaveLength(4);
  });

  it('counts the last, smaller batch as an update', () => {
    expect(updatesPerEpoch({ ...DEFAULT_CONFIG, trainSubset: 1000, batchSize: 512 })).toBe(2);
  });
});
