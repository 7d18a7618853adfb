import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { SGD_UPDATE, type SgdUpdateAttrs, registerFusedKernels, updateInputs } from './fusedKernels';

registerFusedKernels();

const SHAPES = [[3, 3, 4, 5], [5], [7, 2], [1]];

/** PyTorch's rules written as tfjs ops, element by element. */
function reference(attrs: SgdUpdateAttrs, weights: tf.Tensor[], gradients: tf.Tensor[], buffers: tf.Tensor[]): tf.Tensor[] {
  const steps = weights.map((w, i) => tf.add(gradients[i]!, tf.mul(w, attrs.weightDecay)));
  if (attrs.momentum === 0) return weights.map((w, i) => tf.sub(w, tf.mul(steps[i]!, attrs.learningRate)));
  const newBuffers = buffers.map((b, i) => tf.add(tf.mul(b, attrs.momentum), steps[i]!));
  return [...weights.map((w, i) => tf.sub(w, tf.mul(newBuffers[i]!, attrs.learningRate))), ...newBuffers];
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
    const attrs: SgdUpdateAttrs = { learningRate: 0.05, weightDecay, momentum, variableCount: SHAPES.length };
    const before = tf.memory().numTensors;
    const profile = await tf.profile(() => {
      tf.dispose(tf.engine().runKernel(SGD_UPDATE, updateInputs(weights, gradients, buffers), attrs as unknown as tf.NamedAttrMap) as tf.Tensor[]);
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(profile.kernels.map((k) => k.name)).toEqual([SGD_UPDATE]);

    const updated = tf.engine().runKernel(SGD_UPDATE, updateInputs(weights, gradients, buffers), attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    const expected = reference(attrs, weights, gradients, buffers);
    expect(updated).toHaveLength(expected.length);
    updated.forEach((tensor, i) => {
      expect(tensor.shape).toEqual(expected[i]!.shape);
      expect(tf.max(tf.abs(tf.sub(tensor, expected[i]!))).dataSync()[0]).toBeLessThan(1e-6);
    });
    tf.dispose([...weights, ...gradients, ...buffers, ...updated, ...expected]);
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
