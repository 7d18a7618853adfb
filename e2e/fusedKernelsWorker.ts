import * as tf from '@tensorflow/tfjs';
import { DEFAULT_CONFIG, type TrainConfig } from '../src/config/trainConfig';
import { seededRandom } from '../src/data/random';
import { TrainingBatchNormalization, normalizeBatch } from '../src/model/batchNorm';
import { RELU_GRADIENT, SGD_UPDATE, type SgdUpdateAttrs, updateInputs } from '../src/model/customKernels';
import { syntheticDataset, trainOneStep } from '../src/train/gradientTestCases';
import { scaledError } from '../src/train/scaledError';
import { type WebGpuPolicy, install } from '../src/train/trainingKernels';
import { webGpuPolicyFor } from '../src/worker/backend';
import { serveChecks } from './checkWorker';

/**
 * Runs in a worker for e2e/fused-kernels.spec.ts: our WebGPU kernels (train/webgpuUpdate.ts, webgpuBatchNorm.ts,
 * webgpuGlobalPool.ts and the ReLU gradient) against the tfjs ops they replace, on WebGPU, and whole training steps
 * on WebGPU against the same steps on tfjs's cpu backend.
 */

export type FusedKernelCheck =
  | { type: 'kernel'; name: string; error: number; leakedTensors: number }
  | { type: 'step'; name: string; backends: string[]; lossError: number; updateError: number };

function randomTensor(shape: number[], seed: number, scale = 1, shift = 0): tf.Tensor {
  const random = seededRandom(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (random() * 2 - 1) * scale + shift), shape);
}

const read = async (tensors: tf.Tensor[]) => Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array));
const worstError = (actual: Float32Array[], expected: Float32Array[]) =>
  actual.length === expected.length ? Math.max(...actual.map((a, i) => scaledError(a, expected[i]!))) : Infinity;

/** The kernels on this adapter, with batch norm and SGD as our shaders or as tfjs's ops. */
function policyWith(shaders: boolean, adapterPolicy: WebGpuPolicy): WebGpuPolicy {
  return { ...adapterPolicy, batchNorm: shaders ? 'shaders' : 'ops', update: shaders ? 'shaders' : 'ops', replay: false };
}

async function checkUpdate(momentum: number, post: (check: FusedKernelCheck) => void): Promise<void> {
  // Four variables: with momentum two dispatches of two, without one of three and one of one.
  const shapes = [[3, 3, 8, 16], [16], [160, 10], [7]];
  const weights = shapes.map((s, i) => tf.variable(randomTensor(s, i + 1)));
  const gradients = shapes.map((s, i) => randomTensor(s, i + 11));
  const buffers = momentum > 0 ? shapes.map((s, i) => tf.variable(randomTensor(s, i + 21))) : [];
  const attrs: SgdUpdateAttrs = { weightDecay: 0.01, momentum, variableCount: shapes.length };
  const rate = tf.scalar(0.05);
  const expected = tf.tidy(() => {
    const steps = weights.map((w, i) => tf.add(gradients[i]!, tf.mul(w, attrs.weightDecay)));
    if (momentum === 0) return weights.map((w, i) => tf.sub(w, tf.mul(steps[i]!, rate)));
    const newBuffers = buffers.map((b, i) => tf.add(tf.mul(b, momentum), steps[i]!));
    return [...weights.map((w, i) => tf.sub(w, tf.mul(newBuffers[i]!, rate))), ...newBuffers];
  });
  const buffersBefore = weights.map((w) => w.dataId);
  const before = tf.memory().numTensors;
  const outputs = tf.engine().runKernel(SGD_UPDATE, updateInputs(rate, weights, gradients, buffers), attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  const inPlace = outputs.every((output, i) => output.dataId === [...weights, ...buffers][i]!.dataId) && weights.every((w, i) => w.dataId === buffersBefore[i]);
  const error = inPlace ? worstError(await read([...weights, ...buffers]), await read(expected)) : Infinity;
  tf.dispose(outputs);
  post({ type: 'kernel', name: momentum > 0 ? 'SGD update in place, momentum' : 'SGD update in place', error, leakedTensors: tf.memory().numTensors - before });
  tf.dispose([rate, ...weights, ...gradients, ...buffers, ...expected]);
}

async function checkReluGradient(post: (check: FusedKernelCheck) => void): Promise<void> {
  const dy = randomTensor([4, 9, 9, 12], 31);
  // Exact zeros, as a ReLU's output has them, must give a zero gradient like step(0) = 0.
  const y = tf.tidy(() => tf.relu(randomTensor([4, 9, 9, 12], 32)));
  const before = tf.memory().numTensors;
  const kernel = tf.engine().runKernel(RELU_GRADIENT, { dy, y }) as tf.Tensor;
  const expected = tf.tidy(() => tf.mul(dy, tf.step(y)));
  const error = worstError(await read([kernel]), await read([expected]));
  tf.dispose([kernel, expected]);
  post({ type: 'kernel', name: 'ReLU gradient', error, leakedTensors: tf.memory().numTensors - before });
  tf.dispose([dy, y]);
}

/** y, μ, σ², dx, dγ, dβ of batch norm on x under the current kernels, from the upstream gradient `dy`. */
function batchNormPass(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, dy: tf.Tensor, relu: boolean): tf.Tensor[] {
  return tf.tidy(() => {
    const { output, statistics } = normalizeBatch(x, gamma, beta, 1e-5, relu);
    const loss = (input: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => {
      const pass = normalizeBatch(input as tf.Tensor4D, scale as tf.Tensor1D, offset as tf.Tensor1D, 1e-5, relu);
      pass.statistics.dispose();
      return tf.sum(tf.mul(pass.output, dy));
    };
    return [output, statistics, ...tf.grads(loss)([x, gamma, beta])];
  });
}

/**
 * Batch norm's shaders against tfjs's ops on WebGPU: a small layer reduced in one pass and a large one whose rows are
 * split into chunks, with and without the fused ReLU; then the running averages a training pass leaves.
 */
async function checkBatchNorm(adapterPolicy: WebGpuPolicy, post: (check: FusedKernelCheck) => void): Promise<void> {
  const cases: [string, [number, number, number, number]][] = [
    ['one pass', [8, 6, 6, 12]],
    ['rows in chunks', [32, 24, 24, 48]],
  ];
  for (const [layout, shape] of cases) {
    for (const relu of [false, true]) {
      const channels = shape[3];
      const x = randomTensor(shape, 41, 2, 0.7) as tf.Tensor4D;
      const dy = randomTensor(shape, 42);
      const gamma = randomTensor([channels], 43, 0.5, 1) as tf.Tensor1D;
      const beta = randomTensor([channels], 44, 0.3) as tf.Tensor1D;
      install('webgpu', policyWith(false, adapterPolicy));
      const reference = await read(batchNormPass(x, gamma, beta, dy, relu));
      install('webgpu', policyWith(true, adapterPolicy));
      // NaN in the pool where each output will be placed: one the shaders fail to write reads as NaN, not as the reference.
      for (const size of [x.size, 2 * channels, channels]) tf.dispose(tf.fill([size], NaN));
      const before = tf.memory().numTensors;
      const mine = batchNormPass(x, gamma, beta, dy, relu);
      const error = worstError(await read(mine), reference);
      tf.dispose(mine);
      post({ type: 'kernel', name: `batch norm${relu ? ' + ReLU' : ''}, ${layout}`, error, leakedTensors: tf.memory().numTensors - before });
      tf.dispose([x, dy, gamma, beta]);
    }
  }
  const runningAverages = async () => {
    const layer = new TrainingBatchNormalization({ name: `running_${Math.random()}`, momentum: 0.9, epsilon: 1e-5 });
    layer.build([16, 5, 5, 6]);
    const x = randomTensor([16, 5, 5, 6], 45, 1.5, -0.4);
    tf.dispose(tf.tidy(() => layer.apply(x, { training: true }) as tf.Tensor));
    const values = await read(layer.getWeights().slice(2));
    layer.weights.forEach((weight) => weight.dispose());
    x.dispose();
    return values;
  };
  install('webgpu', policyWith(false, adapterPolicy));
  const reference = await runningAverages();
  install('webgpu', policyWith(true, adapterPolicy));
  const before = tf.memory().numTensors;
  const error = worstError(await runningAverages(), reference);
  post({ type: 'kernel', name: 'batch norm running averages, in place', error, leakedTensors: tf.memory().numTensors - before });
}

/**
 * The global average pool's shader against tfjs's Mean: 1×1 cells (the Classroom network's), 3×3 (d2l's), kept
 * dimensions, and a mean the shader leaves to tfjs (over the batch too), which must still be tfjs's.
 */
async function checkGlobalPool(adapterPolicy: WebGpuPolicy, post: (check: FusedKernelCheck) => void): Promise<void> {
  const cases: [string, number[], number[], boolean][] = [
    ['1×1 cells', [6, 1, 1, 20], [1, 2], false],
    ['3×3 cells, kept dimensions', [4, 3, 3, 12], [2, 1], true],
    ['over the batch as well, left to tfjs', [4, 3, 3, 12], [0, 1, 2], false],
  ];
  for (const [i, [name, shape, axes, keepDims]] of cases.entries()) {
    const x = randomTensor(shape, 51 + i, 1.5, 0.2);
    install('webgpu', { ...adapterPolicy, globalPool: 'tfjs', replay: false });
    const expected = tf.mean(x, axes, keepDims);
    install('webgpu', { ...adapterPolicy, globalPool: 'shader', replay: false });
    tf.dispose(tf.fill([expected.size], NaN));
    const before = tf.memory().numTensors;
    const mean = tf.mean(x, axes, keepDims);
    const error = mean.shape.join() === expected.shape.join() ? worstError(await read([mean]), await read([expected])) : Infinity;
    mean.dispose();
    post({ type: 'kernel', name: `global average pool, ${name}`, error, leakedTensors: tf.memory().numTensors - before });
    tf.dispose([x, expected]);
  }
  install('webgpu', adapterPolicy);
}

/** The Classroom network (32×32, width ¼) at batch 8, with and without batch norm. */
const STEP: TrainConfig = { ...DEFAULT_CONFIG, resolution: 32, width: 0.25, batchSize: 8, learningRate: 0.1, trainSubset: 8, testSubset: 8 };

async function checkSteps(adapterPolicy: WebGpuPolicy, post: (check: FusedKernelCheck) => void): Promise<void> {
  install('webgpu', adapterPolicy);
  const data = syntheticDataset(STEP.batchSize, 28, 7);
  const configs: [string, TrainConfig][] = [
    ['plain SGD', STEP],
    ['batch norm, momentum and weight decay', { ...STEP, batchNorm: true, optimizer: 'momentum', weightDecay: 5e-4 }],
  ];
  for (const [name, config] of configs) {
    const gpu = await trainOneStep(config, data);
    await tf.setBackend('cpu');
    const uninstall = install('cpu');
    const cpu = await trainOneStep(config, data);
    uninstall();
    await tf.setBackend('webgpu');
    post({
      type: 'step',
      name,
      backends: [gpu.backend, cpu.backend],
      lossError: Math.abs(gpu.loss - cpu.loss) / Math.max(1, Math.abs(cpu.loss)),
      updateError: worstError(gpu.update, cpu.update),
    });
  }
}

serveChecks<FusedKernelCheck, unknown>(async (_, adapter, post) => {
  const adapterPolicy = webGpuPolicyFor(adapter);
  await checkUpdate(0, post);
  await checkUpdate(0.9, post);
  await checkReluGradient(post);
  await checkBatchNorm(adapterPolicy, post);
  await checkGlobalPool(adapterPolicy, post);
  await checkSteps(adapterPolicy, post);
});
