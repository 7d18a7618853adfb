import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { FAITHFUL_OPTIONS, buildGoogLeNet } from './googlenet';

/** Written by scripts/parity/make_fixture.py from PyTorch (float64), in tfjs layout. */
interface ParityFixture {
  torch: string;
  width: number;
  resolution: number;
  input: number[];
  inputShape: [number, number, number, number];
  labels: number[];
  logits: number[];
  loss: number;
  weights: Record<string, { kernel: number[]; kernelShape: number[]; bias: number[] }>;
  kernelGradients: Record<string, number[]>;
}

/** ‖a − b‖₂ / ‖b‖₂ */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    diff += (actual[i]! - expected[i]!) ** 2;
    norm += expected[i]! ** 2;
  }
  return Math.sqrt(diff / norm);
}

let fixture: ParityFixture;
let model: tf.LayersModel;

beforeAll(async () => {
  await tf.setBackend('cpu');
  fixture = JSON.parse(await readFile(new URL('./parity.fixture.json', import.meta.url), 'utf8')) as ParityFixture;
  model = buildGoogLeNet({ ...FAITHFUL_OPTIONS, resolution: fixture.resolution, width: fixture.width });
  for (const [name, { kernel, kernelShape, bias }] of Object.entries(fixture.weights)) {
    model.getLayer(name).setWeights([tf.tensor(kernel, kernelShape), tf.tensor(bias)]);
  }
});

const lossOf = (images: tf.Tensor4D, labels: tf.Tensor1D) =>
  tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 10), model.apply(images) as tf.Tensor2D) as tf.Scalar;

describe('numerical parity with PyTorch (d2l GoogLeNet, reduced width)', () => {
  it('loads every PyTorch weight into a layer of the same shape', () => {
    const named = model.layers.filter((l) => l.countParams() > 0).map((l) => l.name);
    expect(Object.keys(fixture.weights).sort()).toEqual(named.sort());
  });

  it('gives the same logits and loss to 1e-4', () => {
    tf.tidy(() => {
      const images = tf.tensor4d(fixture.input, fixture.inputShape);
      const logits = model.apply(images) as tf.Tensor2D;
      expect(relativeError(logits.dataSync(), fixture.logits)).toBeLessThan(1e-4);
      const loss = lossOf(images, tf.tensor1d(fixture.labels, 'int32')).dataSync()[0]!;
      expect(Math.abs(loss - fixture.loss) / fixture.loss).toBeLessThan(1e-4);
    });
  });

  it('gives the same weight gradients to 1e-3', () => {
    tf.tidy(() => {
      const images = tf.tensor4d(fixture.input, fixture.inputShape);
      const labels = tf.tensor1d(fixture.labels, 'int32');
      const names = Object.keys(fixture.kernelGradients);
      const kernels = names.map((name) => model.getLayer(name).trainableWeights[0]!.read() as tf.Variable);
      const { grads } = tf.variableGrads(() => lossOf(images, labels), kernels);
      names.forEach((name, i) => {
        expect(Math.max(...fixture.kernelGradients[name]!.map(Math.abs)), `${name} is a dead branch`).toBeGreaterThan(0);
        const error = relativeError(grads[kernels[i]!.name]!.dataSync(), fixture.kernelGradients[name]!);
        expect(error, name).toBeLessThan(1e-3);
      });
    });
  });
});
