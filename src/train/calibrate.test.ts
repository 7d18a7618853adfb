import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { beforeAll, expect, it } from 'vitest';
import type { ImageDataset } from '../data/dataset';
import { loadFashionMnist } from '../data/fashionMnist';
import { CalibrationStopped, calibrate, fitStepCost, macsPerExample } from './calibrate';
import { immediateFence } from './engine';
import { TINY_RUN } from './tinyRun';

let data: ImageDataset;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const dir = new URL('../../public/data/fashion-mnist/', import.meta.url);
  data = await loadFashionMnist(async (name) => new Uint8Array(await readFile(new URL(name, dir))));
});

it('fits a step as a fixed cost plus a cost per image, never negative', () => {
  expect(fitStepCost([8, 0.5], [32, 1.7])).toEqual({ fixedSeconds: expect.closeTo(0.1, 9), secondsPerExample: expect.closeTo(0.05, 9) });
  // Noise that makes the larger batch cheaper, or the fixed cost negative: all of it per image, at the larger batch.
  expect(fitStepCost([8, 0.5], [32, 0.4])).toEqual({ fixedSeconds: 0, secondsPerExample: 0.4 / 32 });
  expect(fitStepCost([8, 0.1], [32, 1.6])).toEqual({ fixedSeconds: 0, secondsPerExample: 1.6 / 32 });
});

it('measures a network on the backend, counts the priced networks, and frees every tensor', async () => {
  const wider = { ...TINY_RUN, width: 0.125 };
  const before = tf.memory().numTensors;
  const priced = { quick: TINY_RUN, classroom: TINY_RUN, reduced: wider, faithful: wider };
  const calibration = await calibrate(TINY_RUN, priced, { data, fence: immediateFence, signal: new AbortController().signal });
  expect(tf.memory().numTensors).toBe(before);
  expect(calibration.macsPerExample).toBe(macsPerExample(TINY_RUN, data));
  expect(calibration.networkMacs.quick).toBe(calibration.macsPerExample);
  expect(calibration.networkMacs.faithful).toBeGreaterThan(2 * calibration.macsPerExample);
  expect(calibration.step.secondsPerExample).toBeGreaterThan(0);
  expect(calibration.forward.secondsPerExample).toBeGreaterThan(0);
  expect(calibration.seconds).toBeGreaterThan(0);
}, 120_000);

it('gives way to a run between its steps', async () => {
  const controller = new AbortController();
  controller.abort();
  const before = tf.memory().numTensors;
  const priced = { quick: TINY_RUN, classroom: TINY_RUN, reduced: TINY_RUN, faithful: TINY_RUN };
  await expect(calibrate(TINY_RUN, priced, { data, fence: immediateFence, signal: controller.signal })).rejects.toBeInstanceOf(CalibrationStopped);
  expect(tf.memory().numTensors).toBe(before);
});
