import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type TrainConfig } from '../config/trainConfig';
import { TrainingBatchNormalization } from '../model/batchNorm';
import { BN_STATS_BATCH, TrainingSession } from './session';
import { syntheticDataset } from './gradientTestCases';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** 1.4 batches of BN_STATS_BATCH images, so the cumulative average has an unequal last batch. */
const IMAGES = BN_STATS_BATCH + 200;
const CONFIG: TrainConfig = { ...DEFAULT_CONFIG, resolution: 16, width: 0.125, batchNorm: true, bnStats: 'recompute', batchSize: 8, trainSubset: IMAGES, testSubset: 8 };

describe("batch norm's statistics recomputed over the training images", () => {
  it("are the first layer's cumulative average of each batch's mean and unbiased variance, as update_bn computes them", () => {
    const data = syntheticDataset(IMAGES, 28, 5);
    const session = new TrainingSession(CONFIG, data);
    const before = tf.memory().numTensors;
    session.recomputeBatchNormStatistics();
    expect(tf.memory().numTensors).toBe(before);
    const first = session.model.layers.find((l) => l instanceof TrainingBatchNormalization)!;
    const [movingMean, movingVariance] = first.getWeights().slice(2).map((w) => Array.from(w.dataSync()));
    // The first batch-norm layer reads the stem's convolution of the images: its input, batch by batch.
    const stem = tf.model({ inputs: session.model.inputs, outputs: first.input as tf.SymbolicTensor });
    const batches = [
      [0, BN_STATS_BATCH],
      [BN_STATS_BATCH, IMAGES],
    ].map(([start, end]) =>
      tf.tidy(() => {
        const indices = Int32Array.from({ length: end! - start! }, (_, i) => start! + i);
        const { images } = session.trainSet.batch(indices, CONFIG.resolution);
        const channels = (stem.predict(images) as tf.Tensor4D).reshape([-1, movingMean!.length]);
        const { mean, variance } = tf.moments(channels, 0);
        const n = channels.shape[0]!;
        return { mean: Array.from(mean.dataSync()), unbiased: Array.from(variance.mul(n / (n - 1)).dataSync()) };
      }),
    );
    movingMean!.forEach((value, c) => expect(value).toBeCloseTo((batches[0]!.mean[c]! + batches[1]!.mean[c]!) / 2, 4));
    movingVariance!.forEach((value, c) => expect(value).toBeCloseTo((batches[0]!.unbiased[c]! + batches[1]!.unbiased[c]!) / 2, 4));
    expect((first as TrainingBatchNormalization).momentum).toBe(0.9);
    session.dispose();
  });
});
