import * as tf from '@tensorflow/tfjs';
import type { AdapterDescription } from '../domain/backend';
import shippedTables from './convTables.json';

/**
 * Which form computes a convolution kernel on WebGPU, per layer shape and adapter. Three kernels are tuned, each
 * with its own strategies, measured by `npm run bench -- --tune` on an adapter and shipped in convTables.json:
 * - the weight gradient (Conv2DBackpropFilter): tfjs's own kernel (one thread per filter element, serial over
 *   batch × height × width), the same sum as a forward convolution, the input unfolded into patches and multiplied
 *   by dy (im2col), or our implicit GEMM (webgpuConvGemm.ts: tiles of the product, the rows split among workgroups);
 * - the forward convolution (FusedConv2D, Conv2D): tfjs's own kernel, or im2col and one product, bias and
 *   activation fused into it;
 * - the input gradient (Conv2DBackpropInput): tfjs's direct kernel or its matrix-product one.
 * Which is fastest depends on the layer's shape and on the adapter.
 */
export const WEIGHT_GRADIENT_STRATEGIES = ['builtin', 'forward-conv', 'im2col', 'gemm'] as const;
export type WeightGradientStrategy = (typeof WEIGHT_GRADIENT_STRATEGIES)[number];

export const FORWARD_STRATEGIES = ['builtin', 'im2col'] as const;
export type ForwardStrategy = (typeof FORWARD_STRATEGIES)[number];

export const INPUT_GRADIENT_STRATEGIES = ['builtin', 'matmul'] as const;
export type InputGradientStrategy = (typeof INPUT_GRADIENT_STRATEGIES)[number];

export const TUNED_KERNELS = {
  weightGradient: WEIGHT_GRADIENT_STRATEGIES,
  forward: FORWARD_STRATEGIES,
  inputGradient: INPUT_GRADIENT_STRATEGIES,
} as const;
export type TunedKernel = keyof typeof TUNED_KERNELS;
export type StrategyOf<K extends TunedKernel> = (typeof TUNED_KERNELS)[K][number];

/** A convolution as its kernels see it. */
export interface ConvShape {
  kernel: [number, number];
  strides: [number, number];
  /** The layer's padding: 'same', 'valid', or explicit pads written out. */
  pad: string;
  inChannels: number;
  outChannels: number;
  height: number;
  width: number;
  batch: number;
}

/** One layer at one batch size: the strategy chosen and what each one took (median ms). */
export interface TableEntry<S extends string> {
  strategy: S;
  ms: Partial<Record<S, number>>;
}

/**
 * Keyed by layer (`layerKey`), then by batch size. The batch is kept apart because the strategies' costs grow with
 * it differently (the built-in weight-gradient loop is serial over it, the others spread it over threads): a batch
 * that was not measured takes the nearest one measured for the same layer.
 */
export type StrategyTable<S extends string> = Record<string, Record<string, TableEntry<S>>>;

/** Every tuned kernel's table, measured on one adapter. */
export type AdapterTables = { adapter: AdapterDescription; measuredWith: string } & { [K in TunedKernel]: StrategyTable<StrategyOf<K>> };

/**
 * A table's choice per layer, falling back to `otherwise` for a layer it has not measured; or one strategy
 * everywhere (benchmarks and tests compare with it).
 */
export type StrategyPolicy<S extends string> = { table: StrategyTable<S>; otherwise: S } | { force: S };

export type WeightGradientPolicy = StrategyPolicy<WeightGradientStrategy>;
export type ForwardPolicy = StrategyPolicy<ForwardStrategy>;
export type InputGradientPolicy = StrategyPolicy<InputGradientStrategy>;

/** How each tuned convolution kernel is chosen on one adapter. */
export type ConvPolicy = { [K in TunedKernel]: StrategyPolicy<StrategyOf<K>> };

export const BUILTIN_CONV_POLICY: ConvPolicy = {
  weightGradient: { force: 'builtin' },
  forward: { force: 'builtin' },
  inputGradient: { force: 'builtin' },
};

/**
 * A real GPU nobody has tuned for: tfjs's own kernels, except the weight gradient. tfjs's runs one thread per
 * filter element, each serial over batch × outH × outW (the 96×96 stem at batch 64: 3,136 threads each looping
 * 147,456 times, a few percent of a large GPU's resident threads; docs/performance.md prices it at 92 % of an H100's
 * step). The implicit GEMM spreads those rows over workgroups and sums the chunks in a second pass.
 */
export const UNTUNED_GPU_POLICY: ConvPolicy = { ...BUILTIN_CONV_POLICY, weightGradient: { force: 'gemm' } };

export function layerKey(shape: ConvShape): string {
  const [kh, kw] = shape.kernel;
  const [sh, sw] = shape.strides;
  const stride = sh === sw ? `s${sh}` : `s${sh}x${sw}`;
  return `${kh}x${kw} ${stride} ${shape.pad} cin${shape.inChannels} cout${shape.outChannels} ${shape.height}x${shape.width}`;
}

/** The policy's strategy for `shape`. */
export function chooseStrategy<S extends string>(policy: StrategyPolicy<S>, shape: ConvShape): S {
  if ('force' in policy) return policy.force;
  const byBatch = policy.table[layerKey(shape)];
  if (byBatch === undefined) return policy.otherwise;
  let best: TableEntry<S> | undefined;
  let bestDistance = Infinity;
  for (const [batch, entry] of Object.entries(byBatch)) {
    const distance = Math.abs(Math.log(Number(batch) / shape.batch));
    if (distance < bestDistance) [best, bestDistance] = [entry, distance];
  }
  return best?.strategy ?? policy.otherwise;
}

/** The shape of a convolution kernel's call, from its input, its filter's shape and its attributes. */
export function convShapeOf(
  xShape: readonly number[],
  filterShape: readonly number[],
  attrs: { strides: number | [number, number]; pad: tf.Conv2DAttrs['pad'] },
): ConvShape {
  const [batch, height, width] = xShape as [number, number, number, number];
  const [kh, kw, inChannels, outChannels] = filterShape as [number, number, number, number];
  const strides: [number, number] = typeof attrs.strides === 'number' ? [attrs.strides, attrs.strides] : attrs.strides;
  const pad = typeof attrs.pad === 'string' ? attrs.pad : JSON.stringify(attrs.pad);
  return { kernel: [kh, kw], strides, pad, inChannels, outChannels, height, width, batch };
}

/** Every distinct convolution of a built model at `batch`, with a layer's name. */
export function convLayerShapes(model: tf.LayersModel, batch: number): { layer: string; shape: ConvShape }[] {
  const shapes = new Map<string, { layer: string; shape: ConvShape }>();
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'Conv2D') continue;
    const [, height, width, inChannels] = (layer.input as tf.SymbolicTensor).shape as [null, number, number, number];
    const settings = layer.getConfig();
    const shape: ConvShape = {
      kernel: settings.kernelSize as [number, number],
      strides: settings.strides as [number, number],
      pad: settings.padding as string,
      inChannels,
      outChannels: settings.filters as number,
      height,
      width,
      batch,
    };
    const key = layerKey(shape);
    if (!shapes.has(key)) shapes.set(key, { layer: layer.name, shape });
  }
  return [...shapes.values()];
}

function fail(why: string): never {
  throw new Error(`Not a table of convolution strategies: ${why}.`);
}

function parseTable<S extends string>(json: unknown, strategies: readonly S[], kernel: string): StrategyTable<S> {
  if (typeof json !== 'object' || json === null) fail(`${kernel} is not an object`);
  for (const [key, byBatch] of Object.entries(json as Record<string, unknown>)) {
    for (const [batch, entry] of Object.entries(byBatch as Record<string, unknown>)) {
      if (!(Number(batch) > 0)) fail(`batch "${batch}" of ${kernel} ${key}`);
      if (!(strategies as readonly unknown[]).includes((entry as Partial<TableEntry<S>>).strategy)) fail(`strategy of ${kernel} ${key} at batch ${batch}`);
    }
  }
  return json as StrategyTable<S>;
}

/** Checks tables read from JSON: a strategy this code does not know would otherwise fail only inside a step. */
export function parseAdapterTables(json: unknown): AdapterTables[] {
  const tables = (json as { tables?: unknown } | null)?.tables;
  if (!Array.isArray(tables)) fail('no list of tables');
  return tables.map((entry: Record<string, unknown>) => {
    const adapter = entry['adapter'] as Partial<AdapterDescription> | undefined;
    if (typeof adapter?.vendor !== 'string' || typeof adapter.architecture !== 'string' || typeof adapter.description !== 'string') {
      fail('an entry names no adapter');
    }
    if (typeof entry['measuredWith'] !== 'string') fail('an entry does not say what measured it');
    return {
      adapter: adapter as AdapterDescription,
      measuredWith: entry['measuredWith'],
      weightGradient: parseTable(entry['weightGradient'] ?? {}, WEIGHT_GRADIENT_STRATEGIES, 'weightGradient'),
      forward: parseTable(entry['forward'] ?? {}, FORWARD_STRATEGIES, 'forward'),
      inputGradient: parseTable(entry['inputGradient'] ?? {}, INPUT_GRADIENT_STRATEGIES, 'inputGradient'),
    };
  });
}

/** The tables measured with `npm run bench -- --tune` (see docs/performance.md), one entry per adapter. */
export const SHIPPED_TABLES: readonly AdapterTables[] = parseAdapterTables(shippedTables);

const sameAdapter = (a: AdapterDescription, b: AdapterDescription) =>
  a.vendor === b.vendor && a.architecture === b.architecture && a.description === b.description && a.isSoftware === b.isSoftware;

/**
 * The tables for `adapter`: those measured on it, else (a software adapter) those measured on any software adapter,
 * else none: a real GPU's choices do not carry over to another GPU.
 */
export function tablesFor(adapter: AdapterDescription, tables: readonly AdapterTables[] = SHIPPED_TABLES): AdapterTables | undefined {
  return tables.find((t) => sameAdapter(t.adapter, adapter)) ?? (adapter.isSoftware ? tables.find((t) => t.adapter.isSoftware) : undefined);
}

/** How the convolutions run on `adapter`: its tables where it has some, for the layers they measured. */
export function convPolicyFor(adapter: AdapterDescription, tables: readonly AdapterTables[] = SHIPPED_TABLES): ConvPolicy {
  const measured = tablesFor(adapter, tables);
  const otherwise = adapter.isSoftware ? BUILTIN_CONV_POLICY : UNTUNED_GPU_POLICY;
  if (measured === undefined) return otherwise;
  const fallback = <K extends TunedKernel>(kernel: K): StrategyOf<K> => {
    const policy = otherwise[kernel];
    return ('force' in policy ? policy.force : policy.otherwise) as StrategyOf<K>;
  };
  return {
    weightGradient: { table: measured.weightGradient, otherwise: fallback('weightGradient') },
    forward: { table: measured.forward, otherwise: fallback('forward') },
    inputGradient: { table: measured.inputGradient, otherwise: fallback('inputGradient') },
  };
}
