import * as tf from '@tensorflow/tfjs';
import { DEFAULT_CONFIG, type TrainConfig } from '../src/config/trainConfig';
import type { ImageDataset } from '../src/data/dataset';
import { seededRandom } from '../src/data/random';
import { buildRunNetwork } from '../src/model/googlenet';
import { registerWebGpuForwardConv } from '../src/train/webgpuForwardConv';
import { registerWebGpuWeightGradient } from '../src/train/webgpuWeightGradient';
import {
  type ConvShape,
  type ForwardPolicy,
  SHIPPED_FORWARD_TABLE,
  SHIPPED_WEIGHT_GRADIENT_TABLE,
  WEIGHT_GRADIENT_STRATEGIES,
  type WeightGradientPolicy,
  chooseStrategy,
  convLayerShapes,
  layerKey,
} from '../src/train/convStrategy';
import { setUpBackend } from '../src/worker/backend';
import { syntheticDataset, trainOneStep } from '../src/train/gradientTestCases';
import { scaledError } from '../src/train/scaledError';

/**
 * Runs in a worker on WebGPU for e2e/weight-gradient.spec.ts: each weight-gradient and forward-convolution strategy
 * against tfjs's own kernel, on single layers and on a whole training step. Errors are the largest absolute
 * difference over the built-in result's largest magnitude (or 1 where that is smaller).
 */

export type WeightGradientCheck =
  | { type: 'kernel'; layer: string; kernel: string; strategy: string; error: number; leakedTensors: number }
  | { type: 'step'; policy: string; lossError: number; updateError: number; nonBuiltinLayers: number; leakedTensors: number };

type FromWeightGradientWorker = WeightGradientCheck | { type: 'adapter'; adapter: string } | { type: 'done' } | { type: 'error'; message: string };

/** The stem, a 1×1, a 3×3 and a 5×5 of the classroom network, and two paddings the unfold must get right. */
const LAYERS: ConvShape[] = [
  { kernel: [7, 7], strides: [2, 2], pad: 'valid', inChannels: 1, outChannels: 16, height: 38, width: 38, batch: 4 },
  { kernel: [1, 1], strides: [1, 1], pad: 'same', inChannels: 48, outChannels: 24, height: 4, width: 4, batch: 4 },
  { kernel: [3, 3], strides: [1, 1], pad: 'same', inChannels: 16, outChannels: 48, height: 8, width: 8, batch: 4 },
  { kernel: [5, 5], strides: [1, 1], pad: 'same', inChannels: 8, outChannels: 24, height: 4, width: 4, batch: 4 },
  { kernel: [3, 3], strides: [2, 2], pad: 'same', inChannels: 3, outChannels: 4, height: 8, width: 8, batch: 2 },
  { kernel: [3, 3], strides: [2, 2], pad: 'valid', inChannels: 2, outChannels: 5, height: 10, width: 9, batch: 2 },
];

function randomTensor(shape: number[], seed: number): tf.Tensor {
  const random = seededRandom(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1), shape);
}

async function valuesOf(result: tf.Tensor): Promise<Float32Array> {
  const values = (await result.data()) as Float32Array;
  result.dispose();
  return values;
}

async function weightGradient(policy: WeightGradientPolicy, shape: ConvShape, x: tf.Tensor, dy: tf.Tensor): Promise<Float32Array> {
  registerWebGpuWeightGradient(policy);
  const attrs = { filterShape: [...shape.kernel, shape.inChannels, shape.outChannels], strides: shape.strides, pad: shape.pad, dataFormat: 'NHWC' };
  return valuesOf(tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor);
}

/** FusedConv2D as a layer without batch norm calls it (bias, ReLU), and Conv2D as tf.conv2d does. */
async function forwardConv(policy: ForwardPolicy, kernel: 'FusedConv2D' | 'Conv2D', shape: ConvShape, x: tf.Tensor, filter: tf.Tensor, bias: tf.Tensor) {
  registerWebGpuForwardConv(policy);
  const attrs = { strides: shape.strides, pad: shape.pad, dataFormat: 'NHWC', dilations: [1, 1], activation: 'relu' };
  const inputs: tf.NamedTensorMap = kernel === 'FusedConv2D' ? { x, filter, bias } : { x, filter };
  return valuesOf(tf.engine().runKernel(kernel, inputs, attrs) as tf.Tensor);
}

async function checkKernels(post: (check: WeightGradientCheck) => void): Promise<void> {
  const measure = async (shape: ConvShape, kernel: string, strategy: string, reference: Float32Array, run: () => Promise<Float32Array>) => {
    const before = tf.memory().numTensors + tf.backend().numDataIds();
    const values = await run();
    const leakedTensors = tf.memory().numTensors + tf.backend().numDataIds() - before;
    post({ type: 'kernel', layer: layerKey(shape), kernel, strategy, error: scaledError(values, reference), leakedTensors });
  };
  for (const [i, shape] of LAYERS.entries()) {
    const xShape = [shape.batch, shape.height, shape.width, shape.inChannels] as [number, number, number, number];
    const filterShape = [...shape.kernel, shape.inChannels, shape.outChannels] as [number, number, number, number];
    const outShape = tf.backend_util.computeConv2DInfo(xShape, filterShape, shape.strides, 1, shape.pad as 'same' | 'valid').outShape;
    const x = randomTensor(xShape, 10 * i);
    const dy = randomTensor(outShape, 10 * i + 1);
    const filter = randomTensor(filterShape, 10 * i + 2);
    const bias = randomTensor([shape.outChannels], 10 * i + 3);
    const builtin = await weightGradient({ force: 'builtin' }, shape, x, dy);
    for (const strategy of WEIGHT_GRADIENT_STRATEGIES.filter((s) => s !== 'builtin')) {
      await measure(shape, 'weight gradient', strategy, builtin, () => weightGradient({ force: strategy }, shape, x, dy));
    }
    for (const kernel of ['FusedConv2D', 'Conv2D'] as const) {
      const reference = await forwardConv({ force: 'builtin' }, kernel, shape, x, filter, bias);
      await measure(shape, kernel, 'im2col', reference, () => forwardConv({ force: 'im2col' }, kernel, shape, x, filter, bias));
    }
    tf.dispose([x, dy, filter, bias]);
  }
}

/** The classroom network (32×32, width ¼) for one step at batch 8. */
const STEP: TrainConfig = { ...DEFAULT_CONFIG, resolution: 32, width: 0.25, batchSize: 8, learningRate: 0.1, trainSubset: 8, testSubset: 8 };

/** One policy per tuned kernel. */
interface Policies {
  weightGradient: WeightGradientPolicy;
  forward: ForwardPolicy;
}

const BUILT_IN: Policies = { weightGradient: { force: 'builtin' }, forward: { force: 'builtin' } };

async function trainWith(policies: Policies, data: ImageDataset) {
  registerWebGpuWeightGradient(policies.weightGradient);
  registerWebGpuForwardConv(policies.forward);
  return trainOneStep(STEP, data);
}

async function checkStep(post: (check: WeightGradientCheck) => void): Promise<void> {
  const data = syntheticDataset(STEP.batchSize, 28, 7);
  const model = buildRunNetwork(STEP);
  const shapes = convLayerShapes(model, STEP.batchSize);
  model.dispose();
  const builtin = await trainWith(BUILT_IN, data);
  const largest = Math.max(...builtin.update.map((u) => Math.max(...u.map(Math.abs))));
  const policies: [string, Policies][] = [
    ['shipped tables', { weightGradient: { table: SHIPPED_WEIGHT_GRADIENT_TABLE }, forward: { table: SHIPPED_FORWARD_TABLE } }],
    ['forward-conv weight gradient everywhere', { ...BUILT_IN, weightGradient: { force: 'forward-conv' } }],
    ['im2col weight gradient everywhere', { ...BUILT_IN, weightGradient: { force: 'im2col' } }],
    ['im2col forward everywhere', { ...BUILT_IN, forward: { force: 'im2col' } }],
  ];
  for (const [name, policy] of policies) {
    const tensorsBefore = tf.memory().numTensors;
    const step = await trainWith(policy, data);
    const worst = Math.max(...step.update.map((u, i) => Math.max(...u.map((v, j) => Math.abs(v - builtin.update[i]![j]!)))));
    post({
      type: 'step',
      policy: name,
      lossError: Math.abs(step.loss - builtin.loss) / Math.max(1, Math.abs(builtin.loss)),
      updateError: largest > 0 ? worst / largest : Infinity,
      nonBuiltinLayers: shapes.filter(({ shape }) => chooseStrategy(policy.weightGradient, shape) !== 'builtin' || chooseStrategy(policy.forward, shape) !== 'builtin')
        .length,
      leakedTensors: tf.memory().numTensors - tensorsBefore,
    });
  }
}

interface WorkerScope {
  postMessage(message: FromWeightGradientWorker): void;
  onmessage: ((event: MessageEvent<'kernels' | 'step'>) => void) | null;
}
const scope = self as unknown as WorkerScope;

scope.onmessage = async (event) => {
  try {
    const setup = await setUpBackend('webgpu');
    if (!setup.ok) throw new Error(setup.reason);
    scope.postMessage({ type: 'adapter', adapter: setup.adapter?.architecture ?? 'unknown' });
    const post = (check: WeightGradientCheck) => scope.postMessage(check);
    if (event.data === 'kernels') await checkKernels(post);
    else await checkStep(post);
    scope.postMessage({ type: 'done' });
  } catch (error) {
    scope.postMessage({ type: 'error', message: (error as Error).message });
  }
};
