import * as tf from '@tensorflow/tfjs';
import type { ImageDataset } from '../data/dataset';
import type { AdapterDescription } from '../domain/backend';
import { buildRunNetwork } from '../model/googlenet';
import {
  type AdapterTables,
  type ConvShape,
  TUNED_KERNELS,
  type TableEntry,
  type TunedKernel,
  convLayerShapes,
  layerKey,
  tablesFor,
} from '../train/convStrategy';
import type { DeviceFence } from '../train/engine';
import { TFJS_WEBGPU_POLICY, install } from '../train/trainingKernels';
import { TrainingSession } from '../train/session';
import { type BenchCase, type BenchProbes, type BenchRow, benchBatches, benchmarkCase, median } from './benchmark';
import { type BenchPolicy, usePolicy } from './policies';

/**
 * `npm run bench -- --tune`, in any runtime (Chromium's worker, or Node on Dawn for a GPU server): times every
 * strategy of the three tuned convolution kernels on every distinct convolution of each case's model, keeps tfjs's
 * kernel unless another beats it by 10 %, and returns the adapter's tables; then times each case's step under tfjs's
 * kernels, our shaders with tfjs's convolutions, and our shaders with the new tables.
 */

export type TuneMessage =
  | { type: 'adapter'; adapter: string }
  | { type: 'layer'; kernel: TunedKernel; layer: string; key: string; batch: number; entry: TableEntry<string> }
  | { type: 'row'; policy: BenchPolicy; row: BenchRow }
  /** The same session's steps, the policies taking turns: milliseconds per step under each. */
  | { type: 'steps'; label: string; batch: number; ms: Record<BenchPolicy, number[]> };

/**
 * A strategy other than the built-in kernel must beat it by this much to be chosen: timings on a shared machine
 * move by a few percent from run to run, and a choice made on noise would only add dispatches.
 */
const MARGIN = 1.1;

/** Timed steps per policy in the alternating comparison. */
const ROUNDS = 9;

/** Median time of `run`, after one run that compiles the shaders, each closed by a fence (no timestamps needed). */
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

/** One call of the kernel as a layer makes it (FusedConv2D with bias and ReLU, as a layer without batch norm). */
function kernelCall(kernel: TunedKernel, shape: ConvShape): { run: () => void; dispose: () => void } {
  const shapes = shapesOf(shape);
  const common = { strides: shape.strides, pad: shape.pad, dataFormat: 'NHWC' };
  const tensors = {
    x: tf.randomUniform(shapes.x, -1, 1),
    dy: tf.randomUniform(shapes.out, -1, 1),
    filter: tf.randomUniform(shapes.filter, -1, 1),
    bias: tf.randomUniform([shape.outChannels], -1, 1),
  };
  const call = (): tf.Tensor => {
    switch (kernel) {
      case 'weightGradient':
        return tf.engine().runKernel('Conv2DBackpropFilter', { x: tensors.x, dy: tensors.dy }, { ...common, filterShape: shapes.filter }) as tf.Tensor;
      case 'forward':
        return tf.engine().runKernel('FusedConv2D', { x: tensors.x, filter: tensors.filter, bias: tensors.bias }, {
          ...common,
          dilations: [1, 1],
          activation: 'relu',
        }) as tf.Tensor;
      case 'inputGradient':
        return tf.engine().runKernel('Conv2DBackpropInput', { dy: tensors.dy, filter: tensors.filter }, { ...common, inputShape: shapes.x }) as tf.Tensor;
    }
  };
  return { run: () => call().dispose(), dispose: () => tf.dispose(Object.values(tensors)) };
}

async function timeStrategies(kernel: TunedKernel, shape: ConvShape, fence: DeviceFence, reps: number): Promise<TableEntry<string>> {
  const strategies: readonly string[] = TUNED_KERNELS[kernel];
  const call = kernelCall(kernel, shape);
  const ms: Record<string, number> = {};
  try {
    for (const strategy of strategies) {
      install('webgpu', { ...TFJS_WEBGPU_POLICY, [kernel]: { force: strategy } });
      ms[strategy] = await medianMs(call.run, fence, reps);
    }
  } finally {
    call.dispose();
  }
  const fastest = strategies.reduce((best, s) => (ms[s]! < ms[best]! ? s : best));
  return { strategy: ms['builtin']! <= ms[fastest]! * MARGIN ? 'builtin' : fastest, ms };
}

/**
 * One session's steps, the policy switched before each (tfjs looks kernels up on every call): a shared machine's
 * speed drifts by 2× over minutes, so policies timed one after the other would mostly compare the drift.
 */
async function alternateSteps(benchCase: BenchCase, data: ImageDataset, probes: BenchProbes, tables: AdapterTables[], policies: readonly BenchPolicy[]) {
  const session = new TrainingSession(benchCase.config, data);
  const batchAt = benchBatches(benchCase.config);
  const ms = Object.fromEntries(policies.map((p) => [p, [] as number[]])) as Record<BenchPolicy, number[]>;
  try {
    for (let i = 0; i < policies.length * (ROUNDS + 1); i++) {
      const policy = policies[i % policies.length]!;
      usePolicy('webgpu', policy, probes.adapterDescription, tables);
      const start = performance.now();
      session.trainStep(batchAt(i)).dispose();
      await probes.fence();
      // The first step under each policy compiles its shaders.
      if (i >= policies.length) ms[policy].push(performance.now() - start);
    }
  } finally {
    session.dispose();
  }
  return ms;
}

/** Tunes on the probes' WebGPU adapter; returns its tables (the layers of `cases`, merged over `earlier`). */
export async function tuneConvKernels(
  cases: readonly BenchCase[],
  data: ImageDataset,
  probes: BenchProbes,
  reps: number,
  measuredWith: string,
  post: (message: TuneMessage) => void,
  earlier: readonly AdapterTables[],
): Promise<AdapterTables> {
  const adapter: AdapterDescription | null = probes.adapterDescription;
  if (probes.backend !== 'webgpu' || adapter === null) throw new Error('--tune measures WebGPU kernels: it needs a WebGPU adapter.');
  post({ type: 'adapter', adapter: probes.adapter });
  const previous = tablesFor(adapter, earlier);
  const tables: AdapterTables = {
    adapter,
    measuredWith,
    weightGradient: structuredClone(previous?.weightGradient ?? {}),
    forward: structuredClone(previous?.forward ?? {}),
    inputGradient: structuredClone(previous?.inputGradient ?? {}),
  };
  try {
    for (const { config } of cases) {
      const model = buildRunNetwork(config);
      const layers = convLayerShapes(model, config.batchSize);
      model.dispose();
      for (const { layer, shape } of layers) {
        const key = layerKey(shape);
        for (const kernel of Object.keys(TUNED_KERNELS) as TunedKernel[]) {
          const entry = await timeStrategies(kernel, shape, probes.fence, reps);
          const table = tables[kernel] as Record<string, Record<string, TableEntry<string>>>;
          table[key] = { ...table[key], [String(shape.batch)]: entry };
          post({ type: 'layer', kernel, layer, key, batch: shape.batch, entry });
        }
      }
    }
    const policies = ['tfjs', 'shaders', 'tables', 'app'] as const;
    const withNewTables = [tables, ...earlier];
    for (const benchCase of cases) {
      for (const policy of policies) {
        usePolicy('webgpu', policy, adapter, withNewTables);
        const submitBatch = tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE');
        post({ type: 'row', policy, row: await benchmarkCase(benchCase, data, probes, { policy, submitBatch }) });
      }
      const ms = await alternateSteps(benchCase, data, probes, withNewTables, policies);
      post({ type: 'steps', label: benchCase.label, batch: benchCase.config.batchSize, ms });
    }
  } finally {
    usePolicy('webgpu', 'app', adapter);
  }
  return tables;
}
