import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrainingBatchNormalization } from './batchNorm';

const SHAPE: [number, number, number, number] = [4, 5, 6, 3];
const EPSILON = 1e-5;

function seededTensor(shape: number[], seed: number, scale = 1, shift = 0): tf.Tensor {
  return tf.tidy(() => tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale), shift));
}

/** A layer of each kind with the same γ and β, called on x in training mode; the gradient comes from Σ y·r. */
function trainingPass(layer: tf.layers.Layer, x: tf.Tensor4D, upstream: tf.Tensor4D) {
  const [gamma, beta] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const lossOf = () => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, upstream)) as tf.Scalar;
  const output = tf.tidy(() => layer.apply(x, { training: false }) as tf.Tensor4D);
  const { grads } = tf.variableGrads(lossOf, [gamma!, beta!]);
  const inputGradient = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, upstream)))(x);
  return { output, gammaGradient: grads[gamma!.name]!, betaGradient: grads[beta!.name]!, inputGradient };
}

function pairOfLayers() {
  const ours = new TrainingBatchNormalization({ name: `ours_${Math.random()}`, momentum: 0.9, epsilon: EPSILON });
  const stock = tf.layers.batchNormalization({ name: `stock_${Math.random()}`, momentum: 0.9, epsilon: EPSILON });
  for (const layer of [ours, stock]) layer.build(SHAPE);
  const gamma = seededTensor([SHAPE[3]], 3, 0.5, 1);
  const beta = seededTensor([SHAPE[3]], 4, 0.3);
  for (const layer of [ours, stock]) layer.setWeights([gamma, beta, tf.zeros([SHAPE[3]]), tf.ones([SHAPE[3]])]);
  return { ours, stock };
}

describe('TrainingBatchNormalization', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it("normalises and differentiates as tfjs's own layer does, to 1e-5", () => {
    const { ours, stock } = pairOfLayers();
    const x = seededTensor(SHAPE, 1, 2, 0.7) as tf.Tensor4D;
    const upstream = seededTensor(SHAPE, 2) as tf.Tensor4D;
    const mine = trainingPass(ours, x, upstream);
    const theirs = trainingPass(stock, x, upstream);
    for (const key of ['output', 'gammaGradient', 'betaGradient', 'inputGradient'] as const) {
      const difference = tf.max(tf.abs(tf.sub(mine[key], theirs[key]))).dataSync()[0]!;
      const magnitude = tf.max(tf.abs(theirs[key])).dataSync()[0]!;
      expect(magnitude).toBeGreaterThan(0.1);
      expect(difference / magnitude, key).toBeLessThan(1e-5);
    }
  });

  it("keeps PyTorch's running averages: 0.1 of the batch mean and of its unbiased variance per step", () => {
    const { ours } = pairOfLayers();
    const x = seededTensor(SHAPE, 5, 1.5, -0.4) as tf.Tensor4D;
    tf.tidy(() => ours.apply(x, { training: true }) as tf.Tensor);
    const values = x.reshape([-1, SHAPE[3]]).arraySync() as number[][];
    const count = values.length;
    const [movingMean, movingVariance] = ours.getWeights().slice(2).map((w) => Array.from(w.dataSync()));
    for (let c = 0; c < SHAPE[3]; c++) {
      const mean = values.reduce((s, row) => s + row[c]!, 0) / count;
      const unbiased = values.reduce((s, row) => s + (row[c]! - mean) ** 2, 0) / (count - 1);
      expect(movingMean![c]).toBeCloseTo(0.1 * mean, 5);
      expect(movingVariance![c]).toBeCloseTo(0.9 + 0.1 * unbiased, 5);
    }
  });

  it("runs fewer kernels than tfjs's own layer for a training pass with its gradient, and leaks nothing", async () => {
    const { ours, stock } = pairOfLayers();
    const x = seededTensor(SHAPE, 6) as tf.Tensor4D;
    const upstream = seededTensor(SHAPE, 7) as tf.Tensor4D;
    const kernelsOf = async (layer: tf.layers.Layer) => {
      const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const before = tf.memory().numTensors;
      const profile = await tf.profile(() =>
        tf.tidy(() => {
          const loss = () => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, upstream)) as tf.Scalar;
          tf.variableGrads(loss, variables);
        }),
      );
      return { kernels: profile.kernels.length, leaked: tf.memory().numTensors - before };
    };
    const mine = await kernelsOf(ours);
    const theirs = await kernelsOf(stock);
    expect(mine.leaked).toBe(0);
    expect(mine.kernels).toBeGreaterThan(0);
    expect(mine.kernels).toBeLessThan(theirs.kernels);
  });

  it("saves under tfjs's class name, so stock tfjs loads the model", () => {
    const { ours } = pairOfLayers();
    expect(ours.getClassName()).toBe('BatchNormalization');
    expect(ours.getConfig()).toMatchObject({ momentum: 0.9, epsilon: EPSILON, axis: -1 });
  });
});
