import * as tf from '@tensorflow/tfjs';
import { fetchSource, loadFashionMnist } from '../data/fashionMnist';
import type { ImageDataset } from '../data/dataset';
import { buildRunNetwork } from '../model/googlenet';
import type { DeviceFence } from '../train/engine';
import { TrainingSession } from '../train/session';
import {
  type ConvShape,
  FORWARD_STRATEGIES,
  type ForwardStrategy,
  type ForwardTable,
  SHIPPED_FORWARD_TABLE,
  SHIPPED_WEIGHT_GRADIENT_TABLE,
  type TableEntry,
  WEIGHT_GRADIENT_STRATEGIES,
  type WeightGradientStrategy,
  type WeightGradientTable,
  convLayerShapes,
  layerKey,
} from '../train/convStrategy';
import { registerWebGpuForwardConv } from '../train/webgpuForwardConv';
import { registerWebGpuWeightGradient } from '../train/webgpuWeightGradient';
import { type BenchCase, type BenchRow, benchmarkCase } from './benchmark';
import { createProbes } from './probes';

/** Messages between `npm run bench -- --tune` (src/bench/tune.ts) and this worker; types only on that side. */
export interface TuneRequest {
  cases: BenchCase[];
  /** Timed runs per strategy and layer, after one that compiles the shaders. */
  reps: number;
  dataBaseUrl: string;
}

/** The two tuned kernels: their strategies are timed layer by layer and written into one table each. */
export type TunedKernel = 'weightGradient' | 'forward';

/** The step under tfjs's kernels everywhere, with the weight-gradient table only, and with both tables. */
export const STEP_POLICIES = ['built-in', 'weight-gradient table', 'both tables'] as const;
export type StepPolicy = (typeof STEP_POLICIES)[number];

interface LayerTiming {
  layer: string;
  key: string;
  batch: number;
}

export type FromTuneWorker =
  | { type: 'adapter'; adapter: string }
  | ({ type: 'layer'; kernel: 'weightGradient'; entry: TableEntry<WeightGradientStrategy> } & LayerTiming)
  | ({ type: 'layer'; kernel: 'forward'; entry: TableEntry<ForwardStrategy> } & LayerTiming)
  | { type: 'row'; policy: StepPolicy; row: BenchRow }
  /** The same session's steps, the policies taking turns: milliseconds per step under each. */
  | { type: 'steps'; label: string; batch: number; ms: Record<StepPolicy, number[]> }
  | { type: 'done' }
  | { type: 'error'; message: string };

/**
 * A strategy other than the built-in kernel must beat it by this much to be chosen: timings on a shared machine
 * move by a few percent from run to run, and a choice made on noise would only add dispatches.
 */
const MARGIN = 1.1;

/** Timed steps per policy in the alternating comparison. */
const ROUNDS = 9;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Median time of `run`, after one run that compiles the shaders, each closed by a fence (no timestamps on SwiftShader). */
async function medianMs(run: () => void, fence: DeviceFence, reps: number): Promise<number> {
  run();
  await fence();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    run();
    await fence();
    times.push(performance.now() - start);
  }
  return median(times);
}

function shapesOf(shape: ConvShape) {
  const x: [number, number, number, number] = [shape.batch, shape.height, shape.width, shape.inChannels];
  const filter: [number, number, number, number] = [...shape.kernel, shape.inChannels, shape.outChannels];
  const out = tf.backend_util.computeConv2DInfo(x, filter, shape.strides, 1, shape.pad as 'same' | 'valid').outShape;
  return { x, filter, out };
}

async function timeWeightGradient(strategy: WeightGradientStrategy, shape: ConvShape, fence: DeviceFence, reps: number): Promise<number> {
  registerWebGpuWeightGradient({ force: strategy });
  const shapes = shapesOf(shape);
  const attrs = { filterShape: shapes.filter, strides: shape.strides, pad: shape.pad, dataFormat: 'NHWC' };
  const [x, dy] = [tf.randomUniform(shapes.x, -1, 1), tf.randomUniform(shapes.out, -1, 1)];
  try {
    return await medianMs(() => (tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor).dispose(), fence, reps);
  } finally {
    tf.dispose([x, dy]);
  }
}

/** The forward convolution as a layer without batch norm calls it: bias and ReLU fused in. */
async function timeForward(strategy: ForwardStrategy, shape: ConvShape, fence: DeviceFence, reps: number): Promise<number> {
  registerWebGpuForwardConv({ force: strategy });
  const shapes = shapesOf(shape);
  const attrs = { strides: shape.strides, pad: shape.pad, dataFormat: 'NHWC', dilations: [1, 1], activation: 'relu' };
  const [x, filter, bias] = [tf.randomUniform(shapes.x, -1, 1), tf.randomUniform(shapes.filter, -1, 1), tf.randomUniform([shape.outChannels], -1, 1)];
  try {
    return await medianMs(() => (tf.engine().runKernel('FusedConv2D', { x, filter, bias }, attrs) as tf.Tensor).dispose(), fence, reps);
  } finally {
    tf.dispose([x, filter, bias]);
  }
}

async function timeAll<S extends string>(
  strategies: readonly S[],
  time: (strategy: S) => Promise<number>,
): Promise<TableEntry<S | 'builtin'>> {
  const ms = {} as Record<S | 'builtin', number>;
  for (const strategy of strategies) ms[strategy] = await time(strategy);
  const fastest = strategies.reduce((best, s) => (ms[s] < ms[best] ? s : best));
  return { strategy: ms.builtin <= ms[fastest] * MARGIN ? 'builtin' : fastest, ms };
}

function registerStepPolicy(policy: StepPolicy, weightGradient: WeightGradientTable, forward: ForwardTable): void {
  const builtin = { force: 'builtin' } as const;
  registerWebGpuWeightGradient(policy === 'built-in' ? builtin : { table: weightGradient });
  registerWebGpuForwardConv(policy === 'both tables' ? { table: forward } : builtin);
}

/**
 * One session's steps, the policy switched before each (tfjs looks kernels up on every call): a shared machine's
 * speed drifts by 2× over minutes, so policies timed one after the other would mostly compare the drift.
 */
async function alternateSteps(benchCase: BenchCase, data: ImageDataset, fence: DeviceFence, tables: [WeightGradientTable, ForwardTable]) {
  const { config } = benchCase;
  const session = new TrainingSession(config, data);
  const ms: Record<StepPolicy, number[]> = { 'built-in': [], 'weight-gradient table': [], 'both tables': [] };
  try {
    for (let i = 0; i < STEP_POLICIES.length * (ROUNDS + 1); i++) {
      const policy = STEP_POLICIES[i % STEP_POLICIES.length]!;
      registerStepPolicy(policy, ...tables);
      const start = performance.now();
      session.trainStep(Int32Array.from({ length: config.batchSize }, (_, j) => (i * config.batchSize + j) % config.trainSubset)).dispose();
      await fence();
      // The first step under each policy compiles its shaders.
      if (i >= STEP_POLICIES.length) ms[policy].push(performance.now() - start);
    }
  } finally {
    session.dispose();
  }
  return ms;
}

async function handle(request: TuneRequest, post: (message: FromTuneWorker) => void): Promise<void> {
  const probes = await createProbes('chromium', 'webgpu');
  if ('error' in probes) throw new Error(probes.error);
  post({ type: 'adapter', adapter: probes.adapter });
  const data = await loadFashionMnist(fetchSource(request.dataBaseUrl));
  const weightGradient: WeightGradientTable = { adapter: probes.adapter, layers: structuredClone(SHIPPED_WEIGHT_GRADIENT_TABLE.layers) };
  const forward: ForwardTable = { adapter: probes.adapter, layers: structuredClone(SHIPPED_FORWARD_TABLE.layers) };
  const { fence } = probes;
  for (const benchCase of request.cases) {
    const { config } = benchCase;
    const model = buildRunNetwork(config);
    const layers = convLayerShapes(model, config.batchSize);
    model.dispose();
    for (const { layer, shape } of layers) {
      const timing: LayerTiming = { layer, key: layerKey(shape), batch: shape.batch };
      const batch = String(shape.batch);
      const gradientEntry = await timeAll(WEIGHT_GRADIENT_STRATEGIES, (s) => timeWeightGradient(s, shape, fence, request.reps));
      weightGradient.layers[timing.key] = { ...weightGradient.layers[timing.key], [batch]: gradientEntry };
      post({ type: 'layer', kernel: 'weightGradient', entry: gradientEntry, ...timing });
      const forwardEntry = await timeAll(FORWARD_STRATEGIES, (s) => timeForward(s, shape, fence, request.reps));
      forward.layers[timing.key] = { ...forward.layers[timing.key], [batch]: forwardEntry };
      post({ type: 'layer', kernel: 'forward', entry: forwardEntry, ...timing });
    }
  }
  for (const benchCase of request.cases) {
    for (const policy of [STEP_POLICIES[0], STEP_POLICIES[2]]) {
      registerStepPolicy(policy, weightGradient, forward);
      post({ type: 'row', policy, row: await benchmarkCase(benchCase, data, probes) });
    }
    const ms = await alternateSteps(benchCase, data, fence, [weightGradient, forward]);
    post({ type: 'steps', label: benchCase.label, batch: benchCase.config.batchSize, ms });
  }
}

interface WorkerScope {
  postMessage(message: FromTuneWorker): void;
  onmessage: ((event: MessageEvent<TuneRequest>) => void) | null;
}
const scope = self as unknown as WorkerScope;

/** Runs in a dedicated worker, as the app's training does. */
scope.onmessage = async (event) => {
  try {
    await handle(event.data, (message) => scope.postMessage(message));
    scope.postMessage({ type: 'done' });
  } catch (error) {
    scope.postMessage({ type: 'error', message: (error as Error).message });
  }
};
