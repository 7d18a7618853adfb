import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FAITHFUL_OPTIONS, INCEPTION_STAGES, SeedSequence, buildGoogLeNet, inceptionBlock } from './googlenet';
import { estimateTrainingMemory, summarizeBlocks, summarizeModel } from './summary';

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

  it('counts batch norm as PyTorch does: scale and shift, not the running statistics (5,984,810 at 96×96)', () => {
    const model = buildGoogLeNet({ ...FAITHFUL_OPTIONS, batchNorm: true });
    expect(summarizeModel(model).totalParams).toBe(5_984_810);
    model.dispose();
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

describe("the articles' cost figures", () => {
  const summarize = (input: tf.SymbolicTensor, output: tf.SymbolicTensor) => {
    const model = tf.model({ inputs: input, outputs: output });
    const summary = summarizeModel(model);
    model.dispose();
    return summary;
  };

  it('Inception 3a on a 28×28×192 input: 163,328 weights without biases, about 1.28e8 multiply-accumulates', () => {
    const input = tf.input({ shape: [28, 28, 192] });
    const summary = summarize(input, inceptionBlock(input, INCEPTION_STAGES[0]![0]!, 1, new SeedSequence(1)));
    expect(summary.layers.reduce((sum, l) => sum + l.kernelParams, 0)).toBe(163_328);
    expect(summary.totalMacs).toBe(163_328 * 28 * 28);
    expect(summary.totalMacs / 1e8).toBeCloseTo(1.28, 2);
    expect(summary.layers.at(-1)!.outputShape).toEqual([28, 28, 256]);
  });

  it('the 1×1 reduction: 192→16 then 5×5→32 costs 12.4 M multiply-accumulates, a direct 5×5 120.4 M', () => {
    const conv = (x: tf.SymbolicTensor, filters: number, kernelSize: number) =>
      tf.layers.conv2d({ filters, kernelSize, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor;
    const reducedInput = tf.input({ shape: [28, 28, 192] });
    const reduced = summarize(reducedInput, conv(conv(reducedInput, 16, 1), 32, 5));
    const directInput = tf.input({ shape: [28, 28, 192] });
    const direct = summarize(directInput, conv(directInput, 32, 5));
    expect(reduced.totalMacs / 1e6).toBeCloseTo(12.4, 1);
    expect(direct.totalMacs / 1e6).toBeCloseTo(120.4, 1);
  });
});

describe('summarizeBlocks', () => {
  it('lists the stem, the nine Inception blocks, the pools and the head with their totals', () => {
    const summary = summaryAt(96);
    const blocks = summarizeBlocks(summary);
    expect(blocks.map((b) => b.name)).toEqual([
      'b1_conv_7x7', 'b1_pool', 'b2_conv_1x1', 'b2_conv_3x3', 'b2_pool',
      'inception_3a', 'inception_3b', 'b3_pool',
      'inception_4a', 'inception_4b', 'inception_4c', 'inception_4d', 'inception_4e', 'b4_pool',
      'inception_5a', 'inception_5b', 'b5_global_pool', 'logits',
    ]);
    expect(blocks.find((b) => b.name === 'inception_4e')!.outputShape).toEqual([6, 6, 832]);
    expect(blocks.reduce((sum, b) => sum + b.params, 0)).toBe(summary.totalParams);
    expect(blocks.reduce((sum, b) => sum + b.macs, 0)).toBe(summary.totalMacs);
  });
});
