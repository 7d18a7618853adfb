import * as tf from '@tensorflow/tfjs';
import { fetchSource, loadFashionMnist } from '../data/fashionMnist';
import type { ImageDataset } from '../data/dataset';
import { buildRunNetwork } from '../model/googlenet';
import type { DeviceFence } from '../train/engine';
import { TrainingSession } from '../train/session';
import { registerWebGpuWeightGradient } from '../train/webgpuWeightGradient';
import {
  type ConvShape,
  SHIPPED_TABLE,
  type TableEntry,
  WEIGHT_GRADIENT_STRATEGIES,
  type WeightGradientPolicy,
  type WeightGradientStrategy,
  type WeightGradientTable,
  convLayerShapes,
  layerKey,
} from '../train/weightGradientStrategy';
import { type BenchCase, type BenchRow, benchmarkCase } from './benchmark';
import { createProbes } from './probes';

/** Messages between `npm run bench -- --tune` (src/bench/tune.ts) and this worker; types only on that side. */
export interface TuneRequest {
  cases: BenchCase[];
  /** Timed runs per strategy and layer, after one that compiles the shaders. */
  reps: number;
  dataBaseUrl: string;
}

export type FromTuneWorker =
  | { type: 'adapter'; adapter: string }
  | { type: 'layer'; layer: string; key: string; batch: number; entry: TableEntry }
  | { type: 'row'; policy: 'builtin' | 'table'; row: BenchRow }
  /** The same session's steps, alternating between the two policies: milliseconds per step under each. */
  | { type: 'steps'; label: string; batch: number; builtinMs: number[]; tableMs: number[] }
  | { type: 'done' }
  | { type: 'error'; message: string };

/**
 * A strategy other than the built-in kernel must beat it by this much to be chosen: timings on a shared machine
 * move by a few percent from run to run, and a choice made on noise would only add dispatches.
 */
const MARGIN = 1.1;

/** Timed steps per policy in the alternating comparison. */
const PAIRS = 9;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Median time of one weight gradient under `strategy`, each run closed by a fence (no timestamps on SwiftShader). */
async function timeStrategy(strategy: WeightGradientStrategy, shape: ConvShape, fence: DeviceFence, reps: number): Promise<number> {
  registerWebGpuWeightGradient({ force: strategy });
  const attrs = {
    filterShape: [...shape.kernel, shape.inChannels, shape.outChannels],
    strides: shape.strides,
    pad: shape.pad,
    dataFormat: 'NHWC',
  };
  const xShape: [number, number, number, number] = [shape.batch, shape.height, shape.width, shape.inChannels];
  const filterShape = attrs.filterShape as [number, number, number, number];
  const outShape = tf.backend_util.computeConv2DInfo(xShape, filterShape, shape.strides, 1, shape.pad as 'same' | 'valid').outShape;
  const x = tf.randomUniform(xShape, -1, 1);
  const dy = tf.randomUniform(outShape, -1, 1);
  const run = () => (tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor).dispose();
  try {
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
  } finally {
    tf.dispose([x, dy]);
  }
}

function choose(ms: Record<WeightGradientStrategy, number>): WeightGradientStrategy {
  const fastest = WEIGHT_GRADIENT_STRATEGIES.reduce((best, s) => (ms[s] < ms[best] ? s : best));
  return ms.builtin <= ms[fastest] * MARGIN ? 'builtin' : fastest;
}

/**
 * One session's steps, the policy switched before each (tfjs looks the kernel up on every call): a shared machine's
 * speed drifts by 2× over minutes, so two policies timed one after the other would mostly compare the drift.
 */
async function alternateSteps(benchCase: BenchCase, data: ImageDataset, fence: DeviceFence, table: WeightGradientTable) {
  const { config } = benchCase;
  const session = new TrainingSession(config, data);
  const [builtin, tabled]: WeightGradientPolicy[] = [{ force: 'builtin' }, { table }];
  const times: [number[], number[]] = [[], []];
  try {
    for (let i = 0; i < 2 * (PAIRS + 1); i++) {
      registerWebGpuWeightGradient(i % 2 === 0 ? builtin : tabled);
      const start = performance.now();
      session.trainStep(Int32Array.from({ length: config.batchSize }, (_, j) => (i * config.batchSize + j) % config.trainSubset)).dispose();
      await fence();
      // The first step under each policy compiles its shaders.
      if (i >= 2) times[i % 2]!.push(performance.now() - start);
    }
  } finally {
    session.dispose();
  }
  return { builtinMs: times[0], tableMs: times[1] };
}

async function handle(request: TuneRequest, post: (message: FromTuneWorker) => void): Promise<void> {
  const probes = await createProbes('chromium', 'webgpu');
  if ('error' in probes) throw new Error(probes.error);
  post({ type: 'adapter', adapter: probes.adapter });
  const data = await loadFashionMnist(fetchSource(request.dataBaseUrl));
  const table: WeightGradientTable = { adapter: probes.adapter, layers: structuredClone(SHIPPED_TABLE.layers) };
  for (const benchCase of request.cases) {
    const { config } = benchCase;
    const model = buildRunNetwork(config);
    const layers = convLayerShapes(model, config.batchSize);
    model.dispose();
    for (const { layer, shape } of layers) {
      const ms: Record<WeightGradientStrategy, number> = { builtin: 0, 'forward-conv': 0, im2col: 0 };
      for (const strategy of WEIGHT_GRADIENT_STRATEGIES) ms[strategy] = await timeStrategy(strategy, shape, probes.fence, request.reps);
      const entry: TableEntry = { strategy: choose(ms), ms };
      const key = layerKey(shape);
      table.layers[key] = { ...table.layers[key], [String(shape.batch)]: entry };
      post({ type: 'layer', layer, key, batch: shape.batch, entry });
    }
  }
  for (const benchCase of request.cases) {
    registerWebGpuWeightGradient({ force: 'builtin' });
    post({ type: 'row', policy: 'builtin', row: await benchmarkCase(benchCase, data, probes) });
    registerWebGpuWeightGradient({ table });
    post({ type: 'row', policy: 'table', row: await benchmarkCase(benchCase, data, probes) });
    post({ type: 'steps', label: benchCase.label, batch: benchCase.config.batchSize, ...(await alternateSteps(benchCase, data, probes.fence, table)) });
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
