import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { DEFAULT_CONFIG, type TrainConfig } from '../config/trainConfig';
import { loadFashionMnist } from '../data/fashionMnist';
import { immediateFence, runTraining } from './engine';
import type { EpochReport } from '../domain/training';

/**
 * The d2l model starts on a plateau at ln 10 ≈ 2.303: Xavier weights shrink the signal through 22 ReLU layers, and
 * SGD needs about 1,100 steps at lr 0.1 to leave it. This run (deterministic on the cpu backend) shows the engine
 * getting past it on real data: about 5 minutes on two cores, the only long unit test.
 */
const PAST_THE_PLATEAU: TrainConfig = {
  ...DEFAULT_CONFIG,
  batchSize: 8,
  learningRate: 0.1,
  epochs: 14,
  trainSubset: 1024,
  testSubset: 500,
  resolution: 16,
  width: 0.125,
  seed: 1,
};

const CHANCE = 0.1;

it('learns Fashion-MNIST well above chance once past the initial plateau', { timeout: 15 * 60_000 }, async () => {
  await tf.setBackend('cpu');
  const dir = new URL('../../public/data/fashion-mnist/', import.meta.url);
  const data = await loadFashionMnist(async (name) => new Uint8Array(await readFile(new URL(name, dir))));
  const controller = new AbortController();
  const epochs: EpochReport[] = [];
  await runTraining({
    config: PAST_THE_PLATEAU,
    data,
    signal: controller.signal,
    fence: immediateFence,
    liveIntervalMs: Infinity,
    callbacks: {
      onWarmup: () => {},
      onBatchLoss: () => {},
      onEpoch: (report) => {
        epochs.push(report);
        if (report.testAccuracy >= 3 * CHANCE) controller.abort();
      },
    },
  });
  console.log(epochs.map((e) => `${e.epoch}: loss ${e.trainLoss.toFixed(3)}, test ${e.testAccuracy}`).join('\n'));
  const first = epochs[0]!;
  const last = epochs[epochs.length - 1]!;
  expect(first.trainLoss).toBeGreaterThan(2.29);
  expect(last.testAccuracy).toBeGreaterThanOrEqual(3 * CHANCE);
  expect(last.trainLoss).toBeLessThan(first.trainLoss - 0.3);
});
