import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/trainConfig';
import { summarizeRunNetwork } from '../model/googlenet';
import { BENCH_MODELS } from './cases';
import { epochArithmeticShare } from './epochBench';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('epochArithmeticShare', () => {
  const twoLayers = {
    totalMacs: 10,
    layers: [
      { name: 'pool', className: 'MaxPooling2D', outputShape: [1], params: 0, kernelParams: 0, macs: 0 },
      { name: 'stem', className: 'Conv2D', outputShape: [1], params: 1, kernelParams: 1, macs: 4 },
      { name: 'head', className: 'Dense', outputShape: [1], params: 1, kernelParams: 1, macs: 6 },
    ],
  };

  it('prices a step as three forward passes less the first layer’s input gradient, and the end of the epoch as forward passes', () => {
    // A step: 3 × 10 − 4 = 26 per image; the test pass 10 per image.
    expect(epochArithmeticShare(twoLayers, { trainImages: 10, testImages: 5, recomputed: false })).toBeCloseTo(260 / (260 + 50), 12);
    // Recomputed statistics add a forward pass over the training images.
    expect(epochArithmeticShare(twoLayers, { trainImages: 10, testImages: 5, recomputed: true })).toBeCloseTo(260 / (260 + 150), 12);
  });

  it('bounds the Classroom epoch (1,500 / 500 images) at 0.69 of its steps with recomputed statistics, 0.90 without', () => {
    const summary = summarizeRunNetwork({ ...DEFAULT_CONFIG, ...BENCH_MODELS.classroom });
    expect(epochArithmeticShare(summary, { trainImages: 1500, testImages: 500, recomputed: true })).toBeCloseTo(0.685, 3);
    expect(epochArithmeticShare(summary, { trainImages: 1500, testImages: 500, recomputed: false })).toBeCloseTo(0.897, 3);
  });
});
