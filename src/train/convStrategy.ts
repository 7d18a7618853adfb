import * as tf from '@tensorflow/tfjs';
import shippedForwardTable from './forwardConvTable.json';
import shippedWeightGradientTable from './weightGradientTable.json';

/**
 * Which form computes a convolution kernel on WebGPU, per layer shape. Two kernels are tuned, each with its own
 * strategies and table, both measured by `npm run bench -- --tune` and shipped with the app:
 * - the weight gradient (Conv2DBackpropFilter): tfjs's own kernel (one thread per filter element, serial over
 *   batch × height × width), the same sum as a forward convolution, or the input unfolded into patches and
 *   multiplied by dy;
 * - the forward convolution (FusedConv2D, Conv2D): tfjs's own kernel, or the input unfolded into patches and
 *   multiplied by the filter in one product, bias and activation fused into it.
 * Which is fastest depends on the layer's shape and on the adapter.
 */
export const WEIGHT_GRADIENT_STRATEGIES = ['builtin', 'forward-conv', 'im2col'] as const;
export type WeightGradientStrategy = (typeof WEIGHT_GRADIENT_STRATEGIES)[number];

export const FORWARD_STRATEGIES = ['builtin', 'im2col'] as const;
export type ForwardStrategy = (typeof FORWARD_STRATEGIES)[number];

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
  ms: Record<S, number>;
}

/**
 * Keyed by layer (`layerKey`), then by batch size. The batch is kept apart because the strategies' costs grow with
 * it differently (the built-in weight-gradient loop is serial over it, the others spread it over threads): a batch
 * that was not measured takes the nearest one measured for the same layer.
 */
export interface StrategyTable<S extends string> {
  /** The adapter the table was measured on, in words. */
  adapter: string;
  layers: Record<string, Record<string, TableEntry<S>>>;
}

/** Either the table's choice per layer, or one strategy everywhere (benchmarks and tests compare with it). */
export type StrategyPolicy<S extends string> = { table: StrategyTable<S> } | { force: S };

export type WeightGradientTable = StrategyTable<WeightGradientStrategy>;
export type WeightGradientPolicy = StrategyPolicy<WeightGradientStrategy>;
export type ForwardTable = StrategyTable<ForwardStrategy>;
export type ForwardPolicy = StrategyPolicy<ForwardStrategy>;

export function layerKey(shape: ConvShape): string {
  const [kh, kw] = shape.kernel;
  const [sh, sw] = shape.strides;
  const stride = sh === sw ? `s${sh}` : `s${sh}x${sw}`;
  return `${kh}x${kw} ${stride} ${shape.pad} cin${shape.inChannels} cout${shape.outChannels} ${shape.height}x${shape.width}`;
}

/** The policy's strategy for `shape`; a layer the table has not measured keeps the built-in kernel. */
export function chooseStrategy<S extends string>(policy: StrategyPolicy<S>, shape: ConvShape): S | 'builtin' {
  if ('force' in policy) return policy.force;
  const byBatch = policy.table.layers[layerKey(shape)];
  if (byBatch === undefined) return 'builtin';
  let best: TableEntry<S> | undefined;
  let bestDistance = Infinity;
  for (const [batch, entry] of Object.entries(byBatch)) {
    const distance = Math.abs(Math.log(Number(batch) / shape.batch));
    if (distance < bestDistance) [best, bestDistance] = [entry, distance];
  }
  return best?.strategy ?? 'builtin';
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

/** Checks a table read from JSON: a strategy this code does not know would otherwise fail only inside a step. */
export function parseTable<S extends string>(json: unknown, strategies: readonly S[], kernel: string): StrategyTable<S> {
  const fail = (why: string): never => {
    throw new Error(`Not a ${kernel} table: ${why}.`);
  };
  if (typeof json !== 'object' || json === null) return fail('not an object');
  const { adapter, layers } = json as Record<string, unknown>;
  if (typeof adapter !== 'string') fail('no adapter');
  if (typeof layers !== 'object' || layers === null) return fail('no layers');
  for (const [key, byBatch] of Object.entries(layers)) {
    for (const [batch, entry] of Object.entries(byBatch as Record<string, unknown>)) {
      if (!(Number(batch) > 0)) fail(`batch "${batch}" of ${key}`);
      if (!(strategies as readonly unknown[]).includes((entry as Partial<TableEntry<S>>).strategy)) fail(`strategy of ${key} at batch ${batch}`);
    }
  }
  return json as StrategyTable<S>;
}

/** The tables measured with `npm run bench -- --tune` (see docs/performance.md); unmeasured layers keep 'builtin'. */
export const SHIPPED_WEIGHT_GRADIENT_TABLE: WeightGradientTable = parseTable(shippedWeightGradientTable, WEIGHT_GRADIENT_STRATEGIES, 'weight-gradient');
export const SHIPPED_FORWARD_TABLE: ForwardTable = parseTable(shippedForwardTable, FORWARD_STRATEGIES, 'forward-convolution');
