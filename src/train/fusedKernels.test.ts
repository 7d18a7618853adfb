import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { TrainingBatchNormalization, normalizeBatch } from '../model/batchNorm';
import { BATCH_NORM_FORWARD, BATCH_NORM_GRADIENT, RUNNING_AVERAGES, SGD_UPDATE, type SgdUpdateAttrs, updateInputs } from '../model/customKernels';
import { install } from './trainingKernels';

install('cpu');
install('wasm');

const RATE = 0.05;

const SHAPES = [[3, 3, 4, 5], [5], [7, 2], [1]];

/** PyTorch's rules written as tfjs ops, element by element. */
function reference(attrs: SgdUpdateAttrs, weights: tf.Tensor[], gradients: tf.Tensor[], buffers: tf.Tensor[]): tf.Tensor[] {
  const steps = weights.map((w, i) => tf.add(gradients[i]!, tf.mul(w, attrs.weightDecay)));
  if (attrs.momentum === 0) return weights.map((w, i) => tf.sub(w, tf.mul(steps[i]!, RATE)));
  const newBuffers = buffers.map((b, i) => tf.add(tf.mul(b, attrs.momentum), steps[i]!));
  return [...weights.map((w, i) => tf.sub(w, tf.mul(newBuffers[i]!, RATE))), ...newBuffers];
}

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(['cpu', 'wasm'])('the one-kernel SGD update on %s', (backend) => {
  it.each([
    ['plain SGD', 0, 0],
    ['SGD with weight decay', 0, 0.01],
    ['momentum with weight decay', 0.9, 0.01],
  ])('%s equals the element-wise ops to 1e-6, in one kernel call, leaking nothing', async (_, momentum, weightDecay) => {
    await tf.setBackend(backend);
    const weights = SHAPES.map((shape, i) => tf.randomNormal(shape, 0, 1, 'float32', i + 1));
    const gradients = SHAPES.map((shape, i) => tf.randomNormal(shape, 0, 1, 'float32', i + 11));
    const buffers = momentum > 0 ? SHAPES.map((shape, i) => tf.randomNormal(shape, 0, 1, 'float32', i + 21)) : [];
    const attrs: SgdUpdateAttrs = { weightDecay, momentum, variableCount: SHAPES.length };
    const rate = tf.scalar(RATE);
    const before = tf.memory().numTensors;
    const profile = await tf.profile(() => {
      tf.dispose(tf.engine().runKernel(SGD_UPDATE, updateInputs(rate, weights, gradients, buffers), attrs as unknown as tf.NamedAttrMap) as tf.Tensor[]);
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(profile.kernels.map((k) => k.name)).toEqual([SGD_UPDATE]);

    const updated = tf.engine().runKernel(SGD_UPDATE, updateInputs(rate, weights, gradients, buffers), attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    const expected = reference(attrs, weights, gradients, buffers);
    expect(updated).toHaveLength(expected.length);
    updated.forEach((tensor, i) => {
      expect(tensor.shape).toEqual(expected[i]!.shape);
      expect(tf.max(tf.abs(tf.sub(tensor, expected[i]!))).dataSync()[0]).toBeLessThan(1e-6);
    });
    tf.dispose([rate, ...weights, ...gradients, ...buffers, ...updated, ...expected]);
  });
});

describe("ReLU's gradient, registered anew", () => {
  it.each(['cpu', 'wasm'])('on %s is dy where x > 0, else 0 (zeros included)', async (backend) => {
    await tf.setBackend(backend);
    const x = tf.tensor1d([-2, -0, 0, 1e-30, 3]);
    const dy = tf.tensor1d([1, 2, 3, 4, 5]);
    expect(tf.getGradient('Relu')?.inputsToSave).toEqual(['x']);
    const [gradient] = tf.grads((input: tf.Tensor) => tf.relu(input))([x], dy);
    expect(Array.from(gradient!.dataSync())).toEqual([0, 0, 0, 4, 5]);
    tf.dispose([x, dy, gradient!]);
  });
});

describe("batch norm's training pass and its gradient as one kernel each", () => {
  it.each([
    ['cpu', false],
    ['wasm', false],
    ['cpu', true],
    ['wasm', true],
  ] as const)("on %s (fused ReLU: %s) equal tfjs's moments + batchNorm, output and gradients, to 1e-5", async (backend, relu) => {
    await tf.setBackend(backend);
    const shape: [number, number, number, number] = [6, 5, 4, 7];
    const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), 2), 0.5)) as tf.Tensor4D;
    const upstream = tf.randomNormal(shape, 0, 1, 'float32', 2);
    const gamma = tf.randomNormal([7], 1, 0.3, 'float32', 3);
    const beta = tf.randomNormal([7], 0, 0.3, 'float32', 4);
    const ours = (input: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => {
      const { output, statistics } = normalizeBatch(input as tf.Tensor4D, scale as tf.Tensor1D, offset as tf.Tensor1D, 1e-5, relu);
      statistics.dispose();
      return tf.sum(tf.mul(output, upstream));
    };
    const stock = (input: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => {
      const moments = tf.moments(input, [0, 1, 2]);
      const y = tf.batchNorm(input, moments.mean, moments.variance, offset as tf.Tensor1D, scale as tf.Tensor1D, 1e-5);
      return tf.sum(tf.mul(relu ? tf.relu(y) : y, upstream));
    };
    const profile = await tf.profile(() => tf.dispose(tf.grads(ours)([x, gamma, beta])));
    expect(profile.kernels.filter((k) => k.name === BATCH_NORM_FORWARD || k.name === BATCH_NORM_GRADIENT)).toHaveLength(2);
    expect(profile.kernels.filter((k) => k.name === 'Relu' || k.name === 'Step')).toHaveLength(0);
    const mine = [ours(x, gamma, beta), ...tf.grads(ours)([x, gamma, beta])];
    const theirs = [stock(x, gamma, beta), ...tf.grads(stock)([x, gamma, beta])];
    mine.forEach((gradient, i) => {
      const scale = tf.max(tf.abs(theirs[i]!)).dataSync()[0]!;
      expect(scale).toBeGreaterThan(0.1);
      expect(tf.max(tf.abs(tf.sub(gradient, theirs[i]!))).dataSync()[0]! / scale).toBeLessThan(1e-5);
    });
    tf.dispose([x, upstream, gamma, beta, ...mine, ...theirs]);
  });
});

describe("batch norm's running averages as one kernel", () => {
  it.each(['cpu', 'wasm'])("on %s follow PyTorch: 0.1 of the batch mean and of its unbiased variance per step", async (backend) => {
    await tf.setBackend(backend);
    const layer = new TrainingBatchNormalization({ name: `running_${backend}`, momentum: 0.9, epsilon: 1e-5 });
    layer.build([5, 3, 4, 2]);
    const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal([5, 3, 4, 2], 0, 1, 'float32', 9), 1.5), -0.4)) as tf.Tensor4D;
    const profile = await tf.profile(() => tf.dispose(tf.tidy(() => layer.apply(x, { training: true }) as tf.Tensor)));
    expect(profile.kernels.map((k) => k.name)).toContain(RUNNING_AVERAGES);
    const rows = x.reshape([-1, 2]).arraySync() as number[][];
    const [movingMean, movingVariance] = layer.getWeights().slice(2).map((w) => Array.from(w.dataSync()));
    for (let c = 0; c < 2; c++) {
      const mean = rows.reduce((sum, row) => sum + row[c]!, 0) / rows.length;
      const unbiased = rows.reduce((sum, row) => sum + (row[c]! - mean) ** 2, 0) / (rows.length - 1);
      expect(movingMean![c]).toBeCloseTo(0.1 * mean, 5);
      expect(movingVariance![c]).toBeCloseTo(0.9 + 0.1 * unbiased, 5);
    }
    x.dispose();
  });
});
