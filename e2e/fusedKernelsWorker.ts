import * as tf from '@tensorflow/tfjs';
import { DEFAULT_CONFIG, type TrainConfig } from '../src/config/trainConfig';
import { seededRandom } from '../src/data/random';
import { RELU_GRADIENT } from '../src/model/trainingConv';
import { SGD_UPDATE, type SgdUpdateAttrs, updateInputs } from '../src/train/fusedKernels';
import { syntheticDataset, trainOneStep } from '../src/train/gradientTestCases';
import { scaledError } from '../src/train/scaledError';
import { setUpBackend } from '../src/worker/backend';

/**
 * Runs in a worker for e2e/fused-kernels.spec.ts: the one-call kernels of src/train/fusedKernels.ts on WebGPU against
 * the element-wise ops they replace, and whole training steps on WebGPU (fused convolutions, batch norm's written-out
 * gradient, the one-kernel update) against the same steps on tfjs's cpu backend.
 */

export type FusedKernelCheck =
  | { type: 'kernel'; name: string; error: number; leakedTensors: number }
  | { type: 'step'; name: string; backends: string[]; lossError: number; updateError: number };

type FromFusedKernelsWorker = FusedKernelCheck | { type: 'done' } | { type: 'error'; message: string };

function randomTensor(shape: number[], seed: number): tf.Tensor {
  const random = seededRandom(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1), shape);
}

const read = async (tensors: tf.Tensor[]) => Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array));
const worstError = (actual: Float32Array[], expected: Float32Array[]) => Math.max(...actual.map((a, i) => scaledError(a, expected[i]!)));

async function checkUpdate(momentum: number, post: (check: FusedKernelCheck) => void): Promise<void> {
  const shapes = [[3, 3, 8, 16], [16], [160, 10]];
  const weights = shapes.map((s, i) => randomTensor(s, i + 1));
  const gradients = shapes.map((s, i) => randomTensor(s, i + 11));
  const buffers = momentum > 0 ? shapes.map((s, i) => randomTensor(s, i + 21)) : [];
  const attrs: SgdUpdateAttrs = { learningRate: 0.05, weightDecay: 0.01, momentum, variableCount: shapes.length };
  const before = tf.memory().numTensors;
  const kernel = tf.engine().runKernel(SGD_UPDATE, updateInputs(weights, gradients, buffers), attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  const expected = tf.tidy(() => {
    const steps = weights.map((w, i) => tf.add(gradients[i]!, tf.mul(w, attrs.weightDecay)));
    if (momentum === 0) return weights.map((w, i) => tf.sub(w, tf.mul(steps[i]!, attrs.learningRate)));
    const newBuffers = buffers.map((b, i) => tf.add(tf.mul(b, momentum), steps[i]!));
    return [...weights.map((w, i) => tf.sub(w, tf.mul(newBuffers[i]!, attrs.learningRate))), ...newBuffers];
  });
  const error = kernel.length === expected.length ? worstError(await read(kernel), await read(expected)) : Infinity;
  tf.dispose([...kernel, ...expected]);
  post({ type: 'kernel', name: momentum > 0 ? 'SGD update, momentum' : 'SGD update', error, leakedTensors: tf.memory().numTensors - before });
  tf.dispose([...weights, ...gradients, ...buffers]);
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

/** The Classroom network (32×32, width ¼) at batch 8, with and without batch norm. */
const STEP: TrainConfig = { ...DEFAULT_CONFIG, resolution: 32, width: 0.25, batchSize: 8, learningRate: 0.1, trainSubset: 8, testSubset: 8 };

async function checkSteps(post: (check: FusedKernelCheck) => void): Promise<void> {
  const data = syntheticDataset(STEP.batchSize, 28, 7);
  const configs: [string, TrainConfig][] = [
    ['plain SGD', STEP],
    ['batch norm, momentum and weight decay', { ...STEP, batchNorm: true, optimizer: 'momentum', weightDecay: 5e-4 }],
  ];
  for (const [name, config] of configs) {
    const gpu = await trainOneStep(config, data);
    await tf.setBackend('cpu');
    const cpu = await trainOneStep(config, data);
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

interface WorkerScope {
  postMessage(message: FromFusedKernelsWorker): void;
  onmessage: ((event: MessageEvent) => void) | null;
}
const scope = self as unknown as WorkerScope;

scope.onmessage = async () => {
  try {
    const setup = await setUpBackend('webgpu');
    if (!setup.ok) throw new Error(setup.reason);
    const post = (check: FusedKernelCheck) => scope.postMessage(check);
    await checkUpdate(0, post);
    await checkUpdate(0.9, post);
    await checkReluGradient(post);
    await checkSteps(post);
    scope.postMessage({ type: 'done' });
  } catch (error) {
    scope.postMessage({ type: 'error', message: (error as Error).message });
  }
};
