import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainConfig } from '../config/trainConfig';
import { TINY_RUN as TINY } from './tinyRun';
import type { ImageDataset } from '../data/dataset';
import { loadFashionMnist } from '../data/fashionMnist';
import { buildRunNetwork, loadLayerWeights } from '../model/googlenet';
import { DivergenceError, MemoryLimitError, type TrainingJob, immediateFence, runTraining } from './engine';
import { copyFeatureLayers, measureTransfer } from './transfer';
import type { BatchLossSample, Checkpoint, EpochReport } from '../domain/training';

let data: ImageDataset;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const dir = new URL('../../public/data/fashion-mnist/', import.meta.url);
  data = await loadFashionMnist(async (name) => new Uint8Array(await readFile(new URL(name, dir))));
});


/** One call of the loop with live samples off, as a checkpointed or raced run makes it. */
const trainQuietly = (job: Pick<TrainingJob, 'config' | 'resume' | 'untilEpoch' | 'onCheckpoint'> & {
  signal?: AbortSignal;
  onEpoch?: (report: EpochReport) => void;
}) =>
  runTraining({
    data,
    fence: immediateFence,
    liveIntervalMs: Infinity,
    ...job,
    signal: job.signal ?? new AbortController().signal,
    callbacks: { onWarmup: () => {}, onBatchLoss: () => {}, onEpoch: job.onEpoch ?? (() => {}) },
  });

async function train(config: TrainConfig, signal = new AbortController().signal) {
  const epochs: EpochReport[] = [];
  const samples: BatchLossSample[] = [];
  let warmup: number | null = null;
  const outcome = await runTraining({
    config,
    data,
    signal,
    fence: immediateFence,
    liveIntervalMs: 0,
    callbacks: {
      onWarmup: (seconds) => (warmup = seconds),
      onBatchLoss: (sample) => samples.push(sample),
      onEpoch: (report) => epochs.push(report),
    },
  });
  return { outcome, epochs, samples, warmup };
}

describe('runTraining on real Fashion-MNIST', () => {
  it('reports every epoch with finite metrics and frees every tensor it made', async () => {
    const before = tf.memory().numTensors;
    const { outcome, epochs, warmup } = await train(TINY);
    expect(outcome).toBe('completed');
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(epochs.map((e) => e.step)).toEqual([4, 8]);
    for (const e of epochs) {
      expect(e.trainLoss).toBeGreaterThan(0);
      expect(Number.isFinite(e.trainLoss)).toBe(true);
      expect(e.trainAccuracy).toBeGreaterThanOrEqual(0);
      expect(e.testAccuracy).toBeLessThanOrEqual(1);
      expect(e.examplesPerSecond).toBeGreaterThan(0);
      expect(e.epochSeconds).toBeGreaterThanOrEqual(e.trainSeconds);
    }
    expect(warmup).toBeGreaterThan(0);
    expect(epochs[1]!.numTensors).toBe(epochs[0]!.numTensors);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps the last, smaller batch as PyTorch does', async () => {
    const { epochs } = await train({ ...TINY, trainSubset: 40, epochs: 1 });
    expect(epochs[0]!.step).toBe(3);
  });

  it('is reproducible from the seed', async () => {
    const a = await train({ ...TINY, epochs: 1 });
    const b = await train({ ...TINY, epochs: 1 });
    const c = await train({ ...TINY, epochs: 1, seed: 2 });
    expect(a.epochs[0]!.trainLoss).toBe(b.epochs[0]!.trainLoss);
    expect(c.epochs[0]!.trainLoss).not.toBe(a.epochs[0]!.trainLoss);
  });

  it('trains on augmented images, the same ones for the same seed', async () => {
    const augmented = { ...TINY, epochs: 1, cropPadding: 2, flip: true };
    const plain = await train({ ...TINY, epochs: 1 });
    const a = await train(augmented);
    const b = await train(augmented);
    expect(a.epochs[0]!.trainLoss).toBe(b.epochs[0]!.trainLoss);
    expect(a.epochs[0]!.trainLoss).not.toBe(plain.epochs[0]!.trainLoss);
  });

  it('stops within one batch of being asked', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let stepsAtStop = 0;
    const epochs: EpochReport[] = [];
    const outcome = await runTraining({
      config: { ...TINY, epochs: 5 },
      data,
      signal: controller.signal,
      fence: immediateFence,
      liveIntervalMs: 0,
      callbacks: {
        onWarmup: () => {},
        onBatchLoss: (sample) => {
          if (stepsAtStop === 0) {
            stepsAtStop = sample.step;
            controller.abort();
          }
        },
        onEpoch: (report) => epochs.push(report),
      },
    });
    expect(outcome).toBe('stopped');
    expect(stepsAtStop).toBe(1);
    expect(epochs).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops a diverging run with the epoch and batch where the loss broke', async () => {
    const before = tf.memory().numTensors;
    const run = train({ ...TINY, learningRate: 1e6, epochs: 3 });
    const error = await run.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DivergenceError);
    expect((error as DivergenceError).message).toMatch(
      /^Loss became (NaN|infinite) at epoch \d, batch \d — try a smaller learning rate\.$/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a batch whose largest buffer exceeds the device limit, before any step', async () => {
    const before = tf.memory().numTensors;
    let steps = 0;
    const run = runTraining({
      config: { ...TINY, batchSize: 64 },
      data,
      signal: new AbortController().signal,
      fence: immediateFence,
      liveIntervalMs: 0,
      maxBufferBytes: 64 * 1024,
      callbacks: { onWarmup: () => steps++, onBatchLoss: () => {}, onEpoch: () => {} },
    });
    await expect(run).rejects.toThrow(MemoryLimitError);
    await expect(run).rejects.toThrow(
      /^Batch 64 at 16×16 needs a 121 KB buffer \(the output of b1_conv_7x7_pad\), but this GPU allows 64 KB per buffer\. Use a batch of at most 33 or a lower resolution\.$/,
    );
    expect(steps).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    ['plain SGD', {}],
    ['momentum, weight decay and a step schedule', { optimizer: 'momentum', weightDecay: 1e-3, schedule: 'step', stepSize: 1, gamma: 0.5 }],
    ['Adam with warm-up and a cosine schedule', { optimizer: 'adam', learningRate: 1e-3, warmupEpochs: 1, schedule: 'cosine' }],
    ['random crops and flips', { cropPadding: 2, flip: true }],
  ] as [string, Partial<TrainConfig>][])('resumes %s from a checkpoint exactly where an uninterrupted run would be', async (_, options) => {
    const config = { ...TINY, epochs: 3, ...options };
    const straight = await train(config);
    const checkpoints: Checkpoint[] = [];
    const controller = new AbortController();
    await trainQuietly({
      config,
      signal: controller.signal,
      onCheckpoint: async (checkpoint) => {
        checkpoints.push(checkpoint);
        if (checkpoint.epoch === 1) controller.abort();
      },
    });
    expect(checkpoints.map((c) => c.epoch)).toEqual([1]);
    const resumed: EpochReport[] = [];
    await trainQuietly({ config, resume: checkpoints[0], onEpoch: (report) => resumed.push(report) });
    expect(resumed.map((e) => [e.epoch, e.step, e.examplesSeen])).toEqual([
      [2, 8, 128],
      [3, 12, 192],
    ]);
    expect(resumed.map((e) => e.trainLoss)).toEqual(straight.epochs.slice(1).map((e) => e.trainLoss));
    expect(resumed.map((e) => e.testAccuracy)).toEqual(straight.epochs.slice(1).map((e) => e.testAccuracy));
  });

  it('pauses after the epoch it is asked to, and a run raced in turns matches one trained straight through', async () => {
    const config = { ...TINY, epochs: 3 };
    const straight = await train(config);
    const reports: EpochReport[] = [];
    const outcomes: string[] = [];
    let checkpoint: Checkpoint | undefined;
    for (const untilEpoch of [1, 2, 3]) {
      outcomes.push(
        await trainQuietly({
          config,
          resume: checkpoint,
          untilEpoch,
          onCheckpoint: async (saved) => void (checkpoint = saved),
          onEpoch: (report) => reports.push(report),
        }),
      );
    }
    expect(outcomes).toEqual(['paused', 'paused', 'completed']);
    expect(reports.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(reports.map((e) => e.trainLoss)).toEqual(straight.epochs.map((e) => e.trainLoss));
  });
});

describe('fine-tuning from a trained network', () => {
  it('starts from its layers, keeps the frozen stages exactly, and trains the rest and a new head', async () => {
    const source = { ...TINY, epochs: 1 };
    let trained: Checkpoint | undefined;
    await trainQuietly({ config: source, onCheckpoint: async (saved) => void (trained = saved) });
    const sourceModel = buildRunNetwork(source);
    loadLayerWeights(sourceModel, trained!.weights, 'source');

    // Three of Fashion-MNIST's classes, renamed: a dataset with another head size.
    const picked = [...data.train.labels.keys()].filter((i) => data.train.labels[i]! < 3).slice(0, 48);
    const threeClasses: ImageDataset = {
      classes: ['a', 'b', 'c'],
      side: 28,
      channels: 1,
      train: {
        count: picked.length,
        images: Uint8Array.from(picked.flatMap((i) => [...data.train.images.subarray(i * 784, (i + 1) * 784)])),
        labels: Uint8Array.from(picked, (i) => data.train.labels[i]!),
      },
      test: { count: 16, images: data.test.images.subarray(0, 16 * 784), labels: data.test.labels.subarray(0, 16).map((l) => l % 3) },
    };
    let tuned: Checkpoint | undefined;
    await runTraining({
      config: source,
      data: threeClasses,
      signal: new AbortController().signal,
      fence: immediateFence,
      liveIntervalMs: Infinity,
      transfer: { source: sourceModel, freezeThrough: 'b3', inputChannels: 1 },
      onCheckpoint: async (saved) => void (tuned = saved),
      callbacks: { onWarmup: () => {}, onBatchLoss: () => {}, onEpoch: () => {} },
    });
    const tunedModel = buildRunNetwork(source, { classCount: 3, channels: 1 });
    loadLayerWeights(tunedModel, tuned!.weights, 'tuned');
    const kernel = (model: tf.LayersModel, name: string) => [...model.getLayer(name).getWeights()[0]!.dataSync()];
    for (const frozen of ['b1_conv_7x7', 'b2_conv_3x3', 'inception_3b/branch3_5x5']) {
      expect(kernel(tunedModel, frozen), frozen).toEqual(kernel(sourceModel, frozen));
    }
    expect(kernel(tunedModel, 'inception_4a/branch1_1x1')).not.toEqual(kernel(sourceModel, 'inception_4a/branch1_1x1'));
    expect(tunedModel.getLayer('logits').getWeights()[0]!.shape).toEqual([sourceModel.getLayer('logits').getWeights()[0]!.shape[0], 3]);
    const initial = buildRunNetwork(source, { classCount: 3, channels: 1 });
    const check = measureTransfer(sourceModel, initial, tunedModel, 'b3');
    expect(check.frozenMaxChange).toBe(0);
    expect(check.trainedMaxChange).toBeGreaterThan(0);
    expect(check.headMaxChange).toBeGreaterThan(0);
    initial.dispose();
    sourceModel.dispose();
    tunedModel.dispose();
  });

  it('refuses a source network of another width', () => {
    const narrow = buildRunNetwork({ ...TINY, width: 0.125 });
    const wide = buildRunNetwork(TINY);
    expect(() => copyFeatureLayers(narrow, wide)).toThrow(/no layer "b1_conv_7x7" of this shape/);
    narrow.dispose();
    wide.dispose();
  });
});
