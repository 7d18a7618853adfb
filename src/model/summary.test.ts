import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FAITHFUL_OPTIONS, buildGoogLeNet } from './googlenet';
import { estimateTrainingMemory, summarizeModel } from './summary';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const summaryAt = (resolution: number) => {
  const model = buildGoogLeNet({ ...FAITHFUL_OPTIONS, resolution });
  const summary = summarizeModel(model);
  model.dispose();
  return summary;
};

describe('summarizeModel', () => {
  it('counts the d2l model at 96×96: 5,977,530 parameters and 0.276 G multiply-accumulates per image', () => {
    const summary = summaryAt(96);
    expect(summary.totalParams).toBe(5_977_530);
    expect(summary.totalMacs / 1e9).toBeCloseTo(0.276, 3);
  });

  it('scales with the input area as the brief measured: 0.031 GMAC at 32×32, 0.073 at 48×48', () => {
    expect(summaryAt(32).totalMacs / 1e9).toBeCloseTo(0.031, 3);
    expect(summaryAt(48).totalMacs / 1e9).toBeCloseTo(0.073, 3);
  });

  it('gives the first convolution its textbook cost', () => {
    const conv1 = summaryAt(96).layers.find((l) => l.name === 'b1_conv_7x7')!;
    expect(conv1.outputShape).toEqual([48, 48, 64]);
    expect(conv1.params).toBe(7 * 7 * 64 + 64);
    expect(conv1.macs).toBe(48 * 48 * 7 * 7 * 64);
  });
});

describe('estimateTrainingMemory', () => {
  it('names the padded first-pool input as the largest buffer: 640 KB per image at 96×96', () => {
    const estimate = estimateTrainingMemory(summaryAt(96), 1000);
    expect(estimate.largestTensor.layer).toBe('b1_pool_pad');
    expect(estimate.largestTensor.bytes).toBe(1000 * 50 * 50 * 64 * 4);
    expect(estimate.parameterBytes).toBe(2 * 5_977_530 * 4);
    expect(estimate.activationBytes).toBeGreaterThan(2 * estimate.largestTensor.bytes);
  });
});
