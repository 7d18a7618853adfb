import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type TrainConfig } from '../config/trainConfig';
import type { ImageDataset } from '../data/dataset';
import { loadFashionMnist } from '../data/fashionMnist';
import { immediateFence, runTraining } from './engine';
import { Predictor } from './predict';
import type { Checkpoint } from '../domain/training';

let data: ImageDataset;
const config: TrainConfig = { ...DEFAULT_CONFIG, batchSize: 16, epochs: 1, trainSubset: 64, testSubset: 16, resolution: 16, width: 0.0625 };

beforeAll(async () => {
  await tf.setBackend('cpu');
  const dir = new URL('../../public/data/fashion-mnist/', import.meta.url);
  data = await loadFashionMnist(async (name) => new Uint8Array(await readFile(new URL(name, dir))));
});

describe('Predictor', () => {
  it('ranks three classes from a checkpoint, agrees with the run it came from, and frees its tensors', async () => {
    let checkpoint: Checkpoint | undefined;
    await runTraining({
      config: { ...config, auxHeads: true },
      data,
      signal: new AbortController().signal,
      fence: immediateFence,
      liveIntervalMs: Infinity,
      onCheckpoint: async (saved) => void (checkpoint = saved),
      callbacks: { onWarmup: () => {}, onBatchLoss: () => {}, onEpoch: () => {} },
    });
    const before = tf.memory().numTensors;
    const predictor = new Predictor({ ...config, auxHeads: true }, checkpoint!.weights);
    const image = data.test.images.subarray(0, 28 * 28);
    const top = await predictor.predict(image);
    expect(top).toHaveLength(3);
    expect(top[0]!.probability).toBeGreaterThanOrEqual(top[1]!.probability);
    expect(top[1]!.probability).toBeGreaterThanOrEqual(top[2]!.probability);
    expect(top.reduce((sum, c) => sum + c.probability, 0)).toBeLessThanOrEqual(1 + 1e-6);
    expect(await predictor.predict(image)).toEqual(top);
    const again = new Predictor({ ...config, auxHeads: true }, checkpoint!.weights);
    expect(await again.predict(image)).toEqual(top);
    predictor.dispose();
    again.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses weights of another network', async () => {
    expect(() => new Predictor(config, [new Float32Array(3)])).toThrow(/do not fit/);
  });
});
