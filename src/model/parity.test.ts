import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainingLoss } from '../train/session';
import { FAITHFUL_OPTIONS, type GoogLeNetOptions, buildGoogLeNet } from './googlenet';

/** Written by scripts/parity/make_fixture.py from PyTorch (float64), in tfjs layout. */
interface ParityFixture {
  torch: string;
  width: number;
  resolution: number;
  input: number[];
  inputShape: [number, number, number, number];
  labels: number[];
  /** The logits, then each auxiliary head's. */
  outputs: number[][];
  loss: number;
  weights: Record<string, { kernel: number[]; kernelShape: number[]; bias?: number[] }>;
  batchNorms: Record<string, { gamma: number[]; beta: number[]; movingMean: number[]; movingVariance: number[] }>;
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

interface Case {
  file: string;
  title: string;
  options: Partial<GoogLeNetOptions>;
  /** Batch norm compares in training mode, on the batch's own statistics, as the reference does. */
  training: boolean;
}

const CASES: Case[] = [
  { file: 'parity.fixture.json', title: "d2l's model", options: {}, training: false },
  { file: 'parity-aux.fixture.json', title: 'with the auxiliary classifiers (loss weight 0.3)', options: { auxHeads: true }, training: false },
  { file: 'parity-bn.fixture.json', title: 'with batch norm, in training mode', options: { batchNorm: true }, training: true },
];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(CASES)('numerical parity with PyTorch, $title (reduced width)', ({ file, options, training }) => {
  let fixture: ParityFixture;
  let model: tf.LayersModel;

  beforeAll(async () => {
    fixture = JSON.parse(await readFile(new URL(`./${file}`, import.meta.url), 'utf8')) as ParityFixture;
    model = buildGoogLeNet({ ...FAITHFUL_OPTIONS, ...options, resolution: fixture.resolution, width: fixture.width });
    for (const [name, { kernel, kernelShape, bias }] of Object.entries(fixture.weights)) {
      model.getLayer(name).setWeights([tf.tensor(kernel, kernelShape), ...(bias ? [tf.tensor(bias)] : [])]);
    }
    for (const [name, norm] of Object.entries(fixture.batchNorms)) {
      model.getLayer(name).setWeights([norm.gamma, norm.beta, norm.movingMean, norm.movingVariance].map((v) => tf.tensor(v)));
    }
  });

  const outputsOf = (images: tf.Tensor4D) => {
    const outputs = model.apply(images, { training }) as tf.Tensor | tf.Tensor[];
    return Array.isArray(outputs) ? outputs : [outputs];
  };
  const lossOf = (images: tf.Tensor4D) => trainingLoss(outputsOf(images), tf.tensor1d(fixture.labels, 'int32'), 10);

  it('loads every PyTorch weight into a layer of the same shape', () => {
    const named = model.layers.filter((l) => l.countParams() > 0).map((l) => l.name);
    expect([...Object.keys(fixture.weights), ...Object.keys(fixture.batchNorms)].sort()).toEqual(named.sort());
  });

  it('gives the same outputs and loss to 1e-4', () => {
    tf.tidy(() => {
      const images = tf.tensor4d(fixture.input, fixture.inputShape);
      const outputs = outputsOf(images);
      expect(outputs).toHaveLength(fixture.outputs.length);
      outputs.forEach((output, i) => expect(relativeError(output.dataSync(), fixture.outputs[i]!), `output ${i}`).toBeLessThan(1e-4));
      const loss = lossOf(images).dataSync()[0]!;
      expect(Math.abs(loss - fixture.loss) / fixture.loss).toBeLessThan(1e-4);
    });
  });

  it('gives the same weight gradients to 1e-3', () => {
    tf.tidy(() => {
      const images = tf.tensor4d(fixture.input, fixture.inputShape);
      const names = Object.keys(fixture.kernelGradients);
      const kernels = names.map((name) => model.getLayer(name).trainableWeights[0]!.read() as tf.Variable);
      const { grads } = tf.variableGrads(() => lossOf(images), kernels);
      names.forEach((name, i) => {
        expect(Math.max(...fixture.kernelGradients[name]!.map(Math.abs)), `${name} is a dead branch`).toBeGreaterThan(0);
        const error = relativeError(grads[kernels[i]!.name]!.dataSync(), fixture.kernelGradients[name]!);
        expect(error, name).toBeLessThan(1e-3);
      });
    });
  });
});
