import * as tf from '@tensorflow/tfjs';
import { DEFAULT_CONFIG, type TrainConfig } from '../src/config/trainConfig';
import type { ImageDataset } from '../src/data/dataset';
import { seededRandom } from '../src/data/random';
import { buildRunNetwork } from '../src/model/googlenet';
import {
  BUILTIN_CONV_POLICY,
  type ConvPolicy,
  type ConvShape,
  TUNED_KERNELS,
  type TunedKernel,
  chooseStrategy,
  convLayerShapes,
  convPolicyFor,
  layerKey,
} from '../src/train/convStrategy';
import { install } from '../src/train/trainingKernels';
import { serveChecks } from './checkWorker';
import { syntheticDataset, trainOneStep } from '../src/train/gradientTestCases';
import { scaledError } from '../src/train/scaledError';

/**
 * Runs in a worker on WebGPU for e2e/weight-gradient.spec.ts: each strategy of the three tuned convolution kernels
 * (weight gradient, forward, input gradient) against tfjs's own kernel, on single layers and on a whole training step. Errors are the largest absolute
 * difference over the built-in result's largest magnitude (or 1 where that is smaller).
 */

export type WeightGradientCheck =
  | { type: 'kernel'; layer: string; kernel: string; strategy: string; error: number; leakedTensors: number }
  | { type: 'step'; policy: string; lossError: number; updateError: number; nonBuiltinLayers: number; leakedTensors: number };

/**
 * The stem (its rows split into chunks by the implicit GEMM), a 1×1, a 3×3 and a 5×5 of the classroom network, a
 * 3×3 wide enough for several GEMM tiles each way, and two paddings the unfold must get right.
 */
const LAYERS: ConvShape[] = [
  { kernel: [3, 3], strides: [1, 1], pad: 'same', inChannels: 48, outChannels: 96, height: 4, width: 4, batch: 4 },
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

/**
 * Leaves a NaN-filled buffer of `elements` floats at the top of the backend's pool, where the next output of that size
 * will be placed: an output the kernel fails to write then reads as NaN, never as a stale copy of the reference.
 */
function poisonPool(elements: number): void {
  tf.dispose(tf.fill([elements], NaN));
}

/** The kernels on WebGPU with one strategy forced for one tuned kernel, tfjs's for the others. */
function forcing(kernel: TunedKernel, strategy: string): ConvPolicy {
  return { ...BUILTIN_CONV_POLICY, [kernel]: { force: strategy } };
}

function useConvPolicy(policy: ConvPolicy): void {
  install('webgpu', { ...policy, batchNorm: 'ops', update: 'ops', globalPool: 'tfjs', replay: false });
}

/** Each tuned kernel's call as a layer makes it: FusedConv2D with bias and ReLU as a layer without batch norm does. */
async function runKernel(kernel: TunedKernel, shape: ConvShape, tensors: { x: tf.Tensor; dy: tf.Tensor; filter: tf.Tensor; bias: tf.Tensor }) {
  const common = { strides: shape.strides, pad: shape.pad, dataFormat: 'NHWC' };
  const result =
    kernel === 'weightGradient'
      ? tf.engine().runKernel('Conv2DBackpropFilter', { x: tensors.x, dy: tensors.dy }, { ...common, filterShape: tensors.filter.shape })
      : kernel === 'forward'
        ? tf.engine().runKernel('FusedConv2D', { x: tensors.x, filter: tensors.filter, bias: tensors.bias }, { ...common, dilations: [1, 1], activation: 'relu' })
        : tf.engine().runKernel('Conv2DBackpropInput', { dy: tensors.dy, filter: tensors.filter }, { ...common, inputShape: tensors.x.shape });
  return valuesOf(result as tf.Tensor);
}

async function checkKernels(post: (check: WeightGradientCheck) => void): Promise<void> {
  for (const [i, shape] of LAYERS.entries()) {
    const xShape = [shape.batch, shape.height, shape.width, shape.inChannels] as [number, number, number, number];
    const filterShape = [...shape.kernel, shape.inChannels, shape.outChannels] as [number, number, number, number];
    const outShape = tf.backend_util.computeConv2DInfo(xShape, filterShape, shape.strides, 1, shape.pad as 'same' | 'valid').outShape;
    const tensors = { x: randomTensor(xShape, 10 * i), dy: randomTensor(outShape, 10 * i + 1), filter: randomTensor(filterShape, 10 * i + 2), bias: randomTensor([shape.outChannels], 10 * i + 3) };
    for (const kernel of Object.keys(TUNED_KERNELS) as TunedKernel[]) {
      useConvPolicy(BUILTIN_CONV_POLICY);
      const reference = await runKernel(kernel, shape, tensors);
      for (const strategy of TUNED_KERNELS[kernel].filter((s) => s !== 'builtin')) {
        useConvPolicy(forcing(kernel, strategy));
        poisonPool(reference.length);
        const before = tf.memory().numTensors + tf.backend().numDataIds();
        const values = await runKernel(kernel, shape, tensors);
        const leakedTensors = tf.memory().numTensors + tf.backend().numDataIds() - before;
        post({ type: 'kernel', layer: layerKey(shape), kernel, strategy, error: scaledError(values, reference), leakedTensors });
      }
    }
    tf.dispose(Object.values(tensors));
  }
}

/** The classroom network (32×32, width ¼) for one step at batch 8. */
const STEP: TrainConfig = { ...DEFAULT_CONFIG, resolution: 32, width: 0.25, batchSize: 8, learningRate: 0.1, trainSubset: 8, testSubset: 8 };

async function trainWith(policy: ConvPolicy, data: ImageDataset) {
  useConvPolicy(policy);
  return trainOneStep(STEP, data);
}

async function checkStep(adapterPolicy: ConvPolicy, post: (check: WeightGradientCheck) => void): Promise<void> {
  const data = syntheticDataset(STEP.batchSize, 28, 7);
  const model = buildRunNetwork(STEP);
  const shapes = convLayerShapes(model, STEP.batchSize);
  model.dispose();
  const builtin = await trainWith(BUILTIN_CONV_POLICY, data);
  const largest = Math.max(...builtin.update.map((u) => Math.max(...u.map(Math.abs))));
  const policies: [string, ConvPolicy][] = [
    ['this adapter’s tables', adapterPolicy],
    ...(Object.keys(TUNED_KERNELS) as TunedKernel[]).flatMap((kernel) =>
      TUNED_KERNELS[kernel].filter((s) => s !== 'builtin').map((strategy): [string, ConvPolicy] => [`${kernel} ${strategy} everywhere`, forcing(kernel, strategy)]),
    ),
  ];
  for (const [name, policy] of policies) {
    const tensorsBefore = tf.memory().numTensors;
    const step = await trainWith(policy, data);
    const worst = Math.max(...step.update.map((u, i) => Math.max(...u.map((v, j) => Math.abs(v - builtin.update[i]![j]!)))));
    const offBuiltin = (shape: ConvShape) => (Object.keys(TUNED_KERNELS) as TunedKernel[]).some((k) => chooseStrategy(policy[k], shape) !== 'builtin');
    post({
      type: 'step',
      policy: name,
      lossError: Math.abs(step.loss - builtin.loss) / Math.max(1, Math.abs(builtin.loss)),
      updateError: largest > 0 ? worst / largest : Infinity,
      nonBuiltinLayers: shapes.filter(({ shape }) => offBuiltin(shape)).length,
      leakedTensors: tf.memory().numTensors - tensorsBefore,
    });
  }
}

serveChecks<WeightGradientCheck | { type: 'adapter'; adapter: string }, 'kernels' | 'step'>(async (request, adapter, post) => {
  post({ type: 'adapter', adapter: adapter.architecture });
  if (request === 'kernels') await checkKernels(post);
  else await checkStep(convPolicyFor(adapter), post);
});
