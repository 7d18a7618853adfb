import * as tf from '@tensorflow/tfjs';
import shippedTable from './weightGradientTable.json';

/**
 * How a convolution's weight gradient (Conv2DBackpropFilter) is computed on WebGPU: tfjs's own kernel (one thread
 * per filter element, serial over batch × height × width), the same sum as a forward convolution, or the input
 * unfolded into patches and multiplied by dy. Which is fastest depends on the layer's shape and on the adapter, so
 * `npm run bench -- --tune` measures every layer and writes the choice into a table the app ships.
 */
export const WEIGHT_GRADIENT_STRATEGIES = ['builtin', 'forward-conv', 'im2col'] as const;
export type WeightGradientStrategy = (typeof WEIGHT_GRADIENT_STRATEGIES)[number];

/** A convolution as its weight gradient sees it. */
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
export interface TableEntry {
  strategy: WeightGradientStrategy;
  ms: Record<WeightGradientStrategy, number>;
}

/**
 * Keyed by layer (`layerKey`), then by batch size. The batch is kept apart because the strategies' costs grow with
 * it differently (the built-in loop is serial over it, the others spread it over threads): a batch that was not
 * measured takes the nearest one measured for the same layer.
 */
export interface WeightGradientTable {
  /** The adapter the table was measured on, in words. */
  adapter: string;
  layers: Record<string, Record<string, TableEntry>>;
}

/** Either the table's choice per layer, or one strategy everywhere (benchmarks and tests compare with it). */
export type WeightGradientPolicy = { table: WeightGradientTable } | { force: WeightGradientStrategy };

export function layerKey(shape: ConvShape): string {
  const [kh, kw] = shape.kernel;
  const [sh, sw] = shape.strides;
  const stride = sh === sw ? `s${sh}` : `s${sh}x${sw}`;
  return `${kh}x${kw} ${stride} ${shape.pad} cin${shape.inChannels} cout${shape.outChannels} ${shape.height}x${shape.width}`;
}

export function chooseStrategy(policy: WeightGradientPolicy, shape: ConvShape): WeightGradientStrategy {
  if ('force' in policy) return policy.force;
  const byBatch = policy.table.layers[layerKey(shape)];
  if (byBatch === undefined) return 'builtin';
  let best: TableEntry | undefined;
  let bestDistance = Infinity;
  for (const [batch, entry] of Object.entries(byBatch)) {
    const distance = Math.abs(Math.log(Number(batch) / shape.batch));
    if (distance < bestDistance) [best, bestDistance] = [entry, distance];
  }
  return best?.strategy ?? 'builtin';
}

/** The shape of a Conv2DBackpropFilter call, from its input and attributes. */
export function convShapeOf(xShape: readonly number[], attrs: tf.Conv2DBackpropFilterAttrs): ConvShape {
  const [batch, height, width] = xShape as [number, number, number, number];
  const [kh, kw, inChannels, outChannels] = attrs.filterShape;
  const strides: [number, number] = typeof attrs.strides === 'number' ? [attrs.strides, attrs.strides] : attrs.strides;
  const pad = typeof attrs.pad === 'string' ? attrs.pad : JSON.stringify(attrs.pad);
  return { kernel: [kh, kw], strides, pad, inChannels, outChannels, height, width, batch };
}

/** Every distinct convolution of a built model, as its weight gradient will see it at `batch`, with a layer's name. */
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

function isStrategy(value: unknown): value is WeightGradientStrategy {
  return (WEIGHT_GRADIENT_STRATEGIES as readonly unknown[]).includes(value);
}

/** Checks a table read from JSON: a strategy this code does not know would otherwise fail only inside a step. */
export function parseTable(json: unknown): WeightGradientTable {
  const fail = (why: string): never => {
    throw new Error(`Not a weight-gradient table: ${why}.`);
  };
  if (typeof json !== 'object' || json === null) return fail('not an object');
  const { adapter, layers } = json as Record<string, unknown>;
  if (typeof adapter !== 'string') fail('no adapter');
  if (typeof layers !== 'object' || layers === null) return fail('no layers');
  for (const [key, byBatch] of Object.entries(layers)) {
    for (const [batch, entry] of Object.entries(byBatch as Record<string, unknown>)) {
      if (!(Number(batch) > 0)) fail(`batch "${batch}" of ${key}`);
      if (!isStrategy((entry as Partial<TableEntry>).strategy)) fail(`strategy of ${key} at batch ${batch}`);
    }
  }
  return json as WeightGradientTable;
}

/** The table measured with `npm run bench -- --tune` (see docs/performance.md); unmeasured layers keep 'builtin'. */
export const SHIPPED_TABLE: WeightGradientTable = parseTable(shippedTable);
export const SHIPPED_POLICY: WeightGradientPolicy = { table: SHIPPED_TABLE };
