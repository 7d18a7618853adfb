import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrainingConv2D } from './trainingConv';

const INPUT: [number, number, number, number] = [3, 13, 13, 2];

interface Case {
  activation: 'relu' | 'linear' | 'tanh';
  useBias: boolean;
  strides: number;
  padding: 'valid' | 'same';
  readsImages: boolean;
}

function layerPair({ activation, useBias, strides, padding, readsImages }: Case) {
  const args = { filters: 4, kernelSize: strides === 1 ? 3 : 7, strides, padding, activation, useBias };
  const ours = new TrainingConv2D({ ...args, name: `ours_${Math.random()}`, readsImages });
  const stock = tf.layers.conv2d({ ...args, name: `stock_${Math.random()}` });
  ours.build(INPUT);
  stock.build(INPUT);
  stock.setWeights(ours.getWeights());
  return { ours, stock };
}

/** Output, gradients of Σ y·r for the input and every weight, and the kernels the pass ran. */
async function trainingPass(layer: tf.layers.Layer, input: tf.Tensor4D, readsImages: boolean) {
  const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const upstream = tf.randomNormal((layer.computeOutputShape(INPUT) as number[]).map((d) => d ?? INPUT[0]), 0, 1, 'float32', 2);
  let output: tf.Tensor | undefined;
  let gradients: tf.Tensor[] = [];
  const profile = await tf.profile(() => {
    const lossOf = (x: tf.Tensor) => {
      const y = layer.apply(x, { training: true }) as tf.Tensor;
      output ??= tf.keep(y.clone());
      return tf.sum(tf.mul(y, upstream)) as tf.Scalar;
    };
    const { grads } = tf.variableGrads(() => lossOf(input), variables);
    gradients = variables.map((v) => grads[v.name]!);
    if (!readsImages) gradients.push(tf.grad(lossOf)(input));
  });
  return { output: output!, gradients, kernels: profile.kernels.map((k) => k.name) };
}

describe('TrainingConv2D', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each<[string, Case]>([
    ['ReLU and bias, stride 1', { activation: 'relu', useBias: true, strides: 1, padding: 'same', readsImages: false }],
    ['no bias, linear (batch norm follows), stride 1', { activation: 'linear', useBias: false, strides: 1, padding: 'same', readsImages: false }],
    ['the image-reading stem, ReLU, stride 2', { activation: 'relu', useBias: true, strides: 2, padding: 'valid', readsImages: true }],
    ['the image-reading stem, linear, stride 2', { activation: 'linear', useBias: false, strides: 2, padding: 'valid', readsImages: true }],
    ['tanh (not fused: tfjs\'s path)', { activation: 'tanh', useBias: true, strides: 1, padding: 'same', readsImages: false }],
  ])("with %s, trains as tfjs's Conv2D does, to 1e-5", async (_, testCase) => {
    const { ours, stock } = layerPair(testCase);
    const input = tf.randomNormal(INPUT, 0, 1, 'float32', 1) as tf.Tensor4D;
    const mine = await trainingPass(ours, input, testCase.readsImages);
    const theirs = await trainingPass(stock, input, testCase.readsImages);
    const pairs = [[mine.output, theirs.output], ...mine.gradients.map((g, i) => [g, theirs.gradients[i]!])] as [tf.Tensor, tf.Tensor][];
    expect(pairs).toHaveLength(1 + (testCase.useBias ? 2 : 1) + (testCase.readsImages ? 0 : 1));
    for (const [a, b] of pairs) {
      const scale = tf.max(tf.abs(b)).dataSync()[0]!;
      expect(scale).toBeGreaterThan(0.01);
      expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / scale).toBeLessThan(1e-5);
    }
    if (testCase.activation === 'tanh') return;
    // One fused kernel forward; the images' gradient is never computed.
    expect(mine.kernels.filter((k) => k === 'FusedConv2D')).toHaveLength(testCase.readsImages ? 1 : 2);
    expect(mine.kernels).not.toContain('Conv2D');
    if (testCase.readsImages) expect(mine.kernels).not.toContain('Conv2DBackpropInput');
  });

  it("infers through tfjs's own path and saves as a plain Conv2D", () => {
    const { ours, stock } = layerPair({ activation: 'relu', useBias: true, strides: 2, padding: 'valid', readsImages: true });
    const input = tf.randomNormal(INPUT, 0, 1, 'float32', 3) as tf.Tensor4D;
    const difference = tf.max(tf.abs(tf.sub(ours.apply(input) as tf.Tensor, stock.apply(input) as tf.Tensor))).dataSync()[0]!;
    expect(difference).toBe(0);
    expect(ours.getClassName()).toBe('Conv2D');
    expect(ours.getConfig()).not.toHaveProperty('readsImages');
    expect(ours.getConfig()).toMatchObject({ filters: 4, kernelSize: [7, 7], strides: [2, 2], activation: 'relu' });
  });
});
