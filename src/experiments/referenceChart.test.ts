import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/trainConfig';
import type { ReferenceFile, ReferenceRun } from './reference';
import { referencePoints, runReference } from './referenceChart';
import type { RunRecord } from '../domain/run';

const reference: ReferenceRun = {
  kind: 'first-visit',
  scale: null,
  preset: null,
  // 1000 images in batches of 64: 15 full batches and a last one of 40, so 16 steps an epoch.
  settings: { batchSize: 64, learningRate: 0.05, epochs: 2, trainSubset: 1000, testSubset: 500, resolution: 32, width: 0.25, batchNorm: true, seed: 1 },
  examplesPerSecond: 250,
  epochs: [
    { epoch: 1, trainLoss: 2.1, trainAccuracy: 0.3, testAccuracy: 0.4 },
    { epoch: 2, trainLoss: 1.2, trainAccuracy: 0.6, testAccuracy: 0.65 },
  ],
  device: 'AMD EPYC (CPU)',
  torch: '1.13.0',
  threads: 2,
};
const file: ReferenceFile = { generator: 'scripts/parity/reference_curves.py', runs: [reference] };

const run = (change: Partial<RunRecord> = {}): RunRecord => ({
  id: 'run-1',
  name: '',
  config: { ...DEFAULT_CONFIG, ...reference.settings, seed: 7 },
  backend: 'webgpu',
  adapter: null,
  status: 'done',
  startedAt: 0,
  warmupSeconds: null,
  epochs: [],
  batchLosses: [],
  error: null,
  group: null,
  evaluation: null,
  dataset: null,
  startedFrom: null,
  ...change,
});

describe('reference curves on the charts', () => {
  it('place each reference epoch at its epoch, its update steps, its examples or the reference machine’s seconds', () => {
    const xs = (axis: Parameters<typeof referencePoints>[1]) => referencePoints(reference, axis).map((p) => p.x);
    expect(xs('epoch')).toEqual([1, 2]);
    expect(xs('step')).toEqual([16, 32]);
    expect(xs('examples')).toEqual([1000, 2000]);
    expect(xs('seconds')).toEqual([4, 8]);
  });

  it('carry the epoch’s loss and accuracies under the keys of the run’s own points', () => {
    expect(referencePoints(reference, 'epoch')[1]).toEqual({ x: 2, loss: 1.2, trainAcc: 0.6, testAcc: 0.65 });
  });

  it('go behind a Fashion-MNIST run from scratch with the same settings, whatever its seed', () => {
    expect(runReference(run(), file)).toBe(reference);
    expect(runReference(run(), null)).toBeUndefined();
    expect(runReference(run({ config: { ...run().config, learningRate: 0.02 } }), file)).toBeUndefined();
  });

  it('never go behind a run on imported images or one fine-tuned from a saved model', () => {
    const dataset = { id: 'd', name: 'shoes', classes: ['a', 'b'], side: 64, channels: 1 };
    const startedFrom = { modelId: 'm', modelName: 'pretrained', freezeThrough: null, inputChannels: 1, check: null };
    expect(runReference(run({ dataset }), file)).toBeUndefined();
    expect(runReference(run({ startedFrom }), file)).toBeUndefined();
  });
});
