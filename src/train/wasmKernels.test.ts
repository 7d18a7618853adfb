import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { type ArchitectureOptions, DEFAULT_CONFIG, type TrainConfig, architectureOf } from '../config/trainConfig';
import { seededRandom } from '../data/random';
import { PoolPadding, buildRunNetwork } from '../model/googlenet';
import { install } from './trainingKernels';
import { CONV_EDGE_CASES, type ConvCase, type Shape4, syntheticDataset, trainOneStep } from './gradientTestCases';
import { scaledError } from './scaledError';

/**
 * Every comparison here is the largest absolute difference from the cpu backend's result, divided by the largest
 * magnitude in that result (or by 1 where it is smaller): "to 1e-4" means within 1e-4 of the reference's scale.
 */
const TOLERANCE = 1e-4;

/** The model variants the app can build, at the classroom scale (32×32, width ¼). */
const VARIANTS: Record<string, Partial<ArchitectureOptions>> = {
  d2l: {},
  paper: { model: 'paper', auxHeads: true, dropout: true },
  'factorized 5×5': { factorize5x5: true },
  'avg-pool branch': { poolBranch: 'avg' },
  'batch norm': { batchNorm: true },
  'aux heads': { auxHeads: true },
};


interface MatMulCase {
  layer: string;
  a: [number, number];
  b: [number, number];
  transposeA: boolean;
  transposeB: boolean;
}

const BATCH = 2;

/** Batch norm's gradient tiles a per-channel [1, 1, 1, C] tensor over the layer's activation. */
interface TileCase {
  layer: string;
  x: Shape4;
  reps: Shape4;
}

/**
 * A max pool over `values` (ReLU-like ties by default); `frame` pads them as the model's PoolPadding layer does, so
 * that the border the stride-2 pools see holds −3e38.
 */
interface PoolCase {
  layer: string;
  x: Shape4;
  filterSize: number;
  strides: number;
  pad: 'same' | 'valid' | number;
  frame?: [[number, number], [number, number]];
  dimRoundingMode?: 'ceil' | 'floor' | 'round';
  values?: (size: number, seed: number) => Float32Array;
}

/** The layers of every variant whose gradients use the kernels, as the model builder makes them (one per shape). */
function layerCases(): { convs: ConvCase[]; matMuls: MatMulCase[]; tiles: TileCase[]; pools: PoolCase[] } {
  const convs = new Map<string, ConvCase>();
  const matMuls = new Map<string, MatMulCase>();
  const tiles = new Map<string, TileCase>();
  const pools = new Map<string, PoolCase>();
  for (const [variant, architecture] of Object.entries(VARIANTS)) {
    const config = { ...DEFAULT_CONFIG, ...architecture, resolution: 32, width: 0.25 };
    const model = buildRunNetwork({ ...config, ...architectureOf(config) });
    for (const layer of model.layers) {
      const kind = layer.getClassName();
      if (kind === 'MaxPooling2D') {
        const [, h, w, c] = (layer.input as tf.SymbolicTensor).shape as [null, number, number, number];
        const settings = layer.getConfig();
        const [strides] = settings.strides as [number, number];
        const [filterSize] = settings.poolSize as [number, number];
        const padding = layer.inboundNodes[0]?.inboundLayers[0];
        const frame = padding instanceof PoolPadding ? (padding.getConfig().padding as PoolCase['frame']) : undefined;
        const [top, bottom] = frame?.[0] ?? [0, 0];
        const [left, right] = frame?.[1] ?? [0, 0];
        const x: Shape4 = [BATCH, h - top - bottom, w - left - right, c];
        const key = JSON.stringify([x, frame, filterSize, strides, settings.padding]);
        const pad = settings.padding as 'same' | 'valid';
        if (!pools.has(key)) pools.set(key, { layer: `${variant}: ${layer.name}`, x, filterSize, strides, pad, frame });
        continue;
      }
      if (kind !== 'Conv2D' && kind !== 'Dense' && kind !== 'BatchNormalization') continue;
      const [, ...inShape] = (layer.input as tf.SymbolicTensor).shape;
      const settings = layer.getConfig();
      const name = `${variant}: ${layer.name}`;
      if (kind === 'BatchNormalization') {
        const [h, w, c] = inShape as [number, number, number];
        tiles.set(JSON.stringify(inShape), { layer: name, x: [1, 1, 1, c], reps: [BATCH, h, w, 1] });
      } else if (kind === 'Conv2D') {
        const [h, w, cin] = inShape as [number, number, number];
        const [kh, kw] = settings.kernelSize as [number, number];
        const [strides] = settings.strides as [number, number];
        const filter: Shape4 = [kh, kw, cin, settings.filters as number];
        const key = JSON.stringify([h, w, filter, strides, settings.padding]);
        if (!convs.has(key)) convs.set(key, { layer: name, x: [BATCH, h, w, cin], filter, strides, pad: settings.padding as 'same' | 'valid' });
      } else {
        const [units, inputs] = [settings.units as number, inShape[0]!];
        // The two products of a dense layer's gradient: dy·Wᵀ and xᵀ·dy.
        for (const product of [
          { a: [BATCH, units], b: [inputs, units], transposeA: false, transposeB: true },
          { a: [BATCH, inputs], b: [BATCH, units], transposeA: true, transposeB: false },
        ] as const) {
          const key = JSON.stringify(product);
          if (!matMuls.has(key)) matMuls.set(key, { layer: name, ...product, a: [...product.a], b: [...product.b] });
        }
      }
    }
    model.dispose();
  }
  return { convs: [...convs.values()], matMuls: [...matMuls.values()], tiles: [...tiles.values()], pools: [...pools.values()] };
}

function randomValues(size: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: size }, () => random() * 2 - 1);
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function convOutput(c: ConvCase): Shape4 {
  return tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad).outShape as Shape4;
}

/** Both gradients of one convolution, through the kernels the active backend has registered. */
function convGradients(c: ConvCase, seed: number): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(randomValues(sizeOf(c.x), seed), c.x);
    const filter = tf.tensor4d(randomValues(sizeOf(c.filter), seed + 1), c.filter);
    const outShape = convOutput(c);
    const dy = tf.tensor4d(randomValues(sizeOf(outShape), seed + 2), outShape);
    const common = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC' };
    const dW = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...common, filterShape: c.filter }) as tf.Tensor;
    const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...common, inputShape: c.x }) as tf.Tensor;
    return [dW.dataSync() as Float32Array, dx.dataSync() as Float32Array];
  });
}

function matMul(c: MatMulCase, seed: number): Float32Array {
  return tf.tidy(() => {
    const a = tf.tensor2d(randomValues(sizeOf(c.a), seed), c.a);
    const b = tf.tensor2d(randomValues(sizeOf(c.b), seed + 1), c.b);
    return tf.matMul(a, b, c.transposeA, c.transposeB).dataSync() as Float32Array;
  });
}

/** ReLU outputs on a coarse grid: most windows hold a tie, many only zeros. */
function tiedValues(size: number, seed: number): Float32Array {
  return randomValues(size, seed).map((v) => Math.max(0, Math.round(4 * v) / 4));
}

/** Pool cases no model layer has but the kernel must get right. */
const POOL_EDGE_CASES: PoolCase[] = [
  { layer: 'all zeros, 3×3/1 same', x: [2, 5, 6, 3], filterSize: 3, strides: 1, pad: 'same', values: (size) => new Float32Array(size) },
  { layer: 'all zeros, 3×3/2 valid', x: [2, 7, 7, 4], filterSize: 3, strides: 2, pad: 'valid', values: (size) => new Float32Array(size) },
  { layer: 'odd sizes, 3×3/2 same (TF pads bottom-right)', x: [3, 7, 5, 5], filterSize: 3, strides: 2, pad: 'same' },
  { layer: 'odd sizes, 2×2/1 same', x: [1, 5, 3, 7], filterSize: 2, strides: 1, pad: 'same' },
  { layer: '5×5/3 explicit pad, ceil rounding', x: [2, 11, 10, 3], filterSize: 5, strides: 3, pad: 1, dimRoundingMode: 'ceil' },
  { layer: '3×3/1 same on a 1×1 image', x: [2, 1, 1, 9], filterSize: 3, strides: 1, pad: 'same' },
  {
    layer: '−∞ and NaN cells',
    x: [1, 4, 4, 2],
    filterSize: 3,
    strides: 1,
    pad: 'valid',
    values: (size, seed) => tiedValues(size, seed).map((v, i) => (i % 7 === 0 ? NaN : i % 3 === 0 || i < 8 ? -Infinity : v)),
  },
];

/** The input gradient of one max pool, through the MaxPoolGrad the active backend has registered. */
function maxPoolGrad(c: PoolCase, seed: number): Float32Array {
  return tf.tidy(() => {
    const values = (c.values ?? tiedValues)(sizeOf(c.x), seed);
    const inner = tf.tensor4d(values, c.x);
    const x = c.frame === undefined ? inner : tf.pad(inner, [[0, 0], ...c.frame, [0, 0]], -3e38);
    const y = tf.maxPool(x, c.filterSize, c.strides, c.pad, c.dimRoundingMode);
    const dy = tf.tensor(randomValues(y.size, seed + 1), y.shape);
    const attrs: tf.NamedAttrMap = { filterSize: c.filterSize, strides: c.strides, pad: c.pad };
    if (c.dimRoundingMode !== undefined) attrs.dimRoundingMode = c.dimRoundingMode;
    const dx = tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, attrs) as tf.Tensor;
    return dx.dataSync() as Float32Array;
  });
}

/** Entries that are not the same float (NaN equals NaN, 0 differs from −0). */
function differingEntries(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return Infinity;
  return expected.reduce((count, value, i) => count + (Object.is(value, actual[i]) ? 0 : 1), 0);
}

function tile(c: TileCase, seed: number): Float32Array {
  return tf.tidy(() => tf.tile(tf.tensor4d(randomValues(sizeOf(c.x), seed), c.x), c.reps).dataSync() as Float32Array);
}

/** Runs `compute` on cpu, then on wasm. */
async function onBoth<T>(compute: () => T): Promise<{ cpu: T; wasm: T }> {
  await tf.setBackend('cpu');
  const cpu = compute();
  await tf.setBackend('wasm');
  const wasm = compute();
  return { cpu, wasm };
}

install('wasm');
install('cpu');
// The cases below are read from built models while the tests are collected.
await tf.setBackend('cpu');

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('wasm training kernels', () => {
  const { convs, matMuls, tiles, pools } = layerCases();

  it('cover every convolution shape of every model variant, the stride-2 stem included', () => {
    expect(convs.some((c) => c.filter[0] === 7 && c.strides === 2 && c.pad === 'valid')).toBe(true);
    expect(convs.some((c) => c.filter[0] === 5)).toBe(true);
    expect(convs.some((c) => c.x[3] === 3)).toBe(true); // the paper's RGB stem
    expect(convs.length).toBeGreaterThan(20);
    expect(tiles.length).toBeGreaterThan(5);
  });

  it.each([...convs, ...CONV_EDGE_CASES].map((c, i) => [c.layer, c, i] as const))(
    'Conv2DBackpropFilter and Conv2DBackpropInput equal cpu to 1e-4: %s',
    async (_, c, i) => {
      const { cpu, wasm } = await onBoth(() => convGradients(c, 100 * i));
      expect(scaledError(wasm[0]!, cpu[0]!), 'weight gradient').toBeLessThan(TOLERANCE);
      expect(scaledError(wasm[1]!, cpu[1]!), 'input gradient').toBeLessThan(TOLERANCE);
    },
  );

  it.each(matMuls.map((c, i) => [`${c.layer} ${c.transposeA ? 'aᵀ·b' : 'a·bᵀ'}`, c, i] as const))(
    'BatchMatMul with a transposed operand equals cpu to 1e-4: %s',
    async (_, c, i) => {
      const { cpu, wasm } = await onBoth(() => matMul(c, 100 * i));
      expect(scaledError(wasm, cpu)).toBeLessThan(TOLERANCE);
    },
  );

  // The last is no broadcast, and keeps the built-in kernel.
  const tileCases: TileCase[] = [...tiles, { layer: 'general tiling', x: [2, 3, 1, 4], reps: [2, 1, 3, 2] }];
  it.each(tileCases.map((c, i) => [c.layer, c, i] as const))('Tile equals cpu exactly: %s', async (_, c, i) => {
    const { cpu, wasm } = await onBoth(() => tile(c, 100 * i));
    expect(scaledError(wasm, cpu)).toBe(0);
  });

  it('cover every max pool shape of every model variant: stride 1, stride 2 padded, the paper’s ceil mode', () => {
    expect(pools.some((c) => c.strides === 1 && c.pad === 'same')).toBe(true);
    expect(pools.some((c) => c.frame?.[0][0] === 1)).toBe(true); // d2l: one cell on every side
    expect(pools.some((c) => c.frame?.[0][0] === 0 && c.frame[0][1] > 0)).toBe(true); // paper: bottom/right only
  });

  it.each([...pools, ...POOL_EDGE_CASES].map((c, i) => [c.layer, c, i] as const))(
    'MaxPoolGrad equals cpu exactly, ties included: %s',
    async (_, c, i) => {
      const { cpu, wasm } = await onBoth(() => maxPoolGrad(c, 100 * i));
      expect(cpu.some((v) => v !== 0)).toBe(true);
      expect(differingEntries(wasm, cpu)).toBe(0);
    },
  );

  it('frees every intermediate it makes in the wasm heap', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend();
    const before = { tensors: tf.memory().numTensors, data: backend.numDataIds() };
    for (const c of [...convs.slice(0, 4), ...CONV_EDGE_CASES]) convGradients(c, 1);
    for (const c of matMuls.slice(0, 2)) matMul(c, 1);
    for (const c of tileCases.slice(-2)) tile(c, 1);
    for (const c of [...pools.slice(0, 2), ...POOL_EDGE_CASES]) maxPoolGrad(c, 1);
    expect({ tensors: tf.memory().numTensors, data: backend.numDataIds() }).toEqual(before);
  });
});

const STEP: TrainConfig = {
  ...DEFAULT_CONFIG,
  batchSize: 4,
  learningRate: 0.1,
  trainSubset: 4,
  testSubset: 4,
  resolution: 32,
  width: 0.125,
};

describe('a training step on wasm', () => {
  const data = syntheticDataset(16, 28, 7);

  it.each(Object.entries(VARIANTS))('equals the cpu backend’s step to 1e-4: %s', async (_, architecture) => {
    // Batch norm over 4 images normalises stage 5's 1×1 maps over 4 values: rounding alone then moves the step by
    // more than 1e-4 (weights scaled by 1 ± 1e-7 move cpu's own updated weights by 4e-4; at batch 16 by 2.5e-5).
    const batchSize = architecture.batchNorm ? 16 : STEP.batchSize;
    const config = { ...STEP, ...architecture, batchSize, trainSubset: batchSize };
    await tf.setBackend('cpu');
    const cpu = await trainOneStep(config, data);
    await tf.setBackend('wasm');
    const tensorsBefore = tf.memory().numTensors;
    const wasm = await trainOneStep(config, data);
    expect(tf.memory().numTensors).toBe(tensorsBefore);

    expect(Number.isFinite(cpu.loss)).toBe(true);
    expect(Math.abs(wasm.loss - cpu.loss) / Math.max(1, Math.abs(cpu.loss))).toBeLessThan(TOLERANCE);
    expect(wasm.after.length).toBe(cpu.after.length);
    cpu.after.forEach((expected, i) => {
      expect(scaledError(wasm.before[i]!, cpu.before[i]!), `initial weight ${i}`).toBe(0);
      expect(scaledError(wasm.after[i]!, expected), `updated weight ${i}`).toBeLessThan(TOLERANCE);
    });
    // The update itself (lr × gradient), on the scale of its largest entry: the weights alone would hide it.
    const [wasmUpdate, cpuUpdate] = [wasm.update, cpu.update];
    const largest = Math.max(...cpuUpdate.map((u) => Math.max(...u.map(Math.abs))));
    expect(largest).toBeGreaterThan(0);
    const worst = Math.max(...cpuUpdate.map((u, i) => Math.max(...u.map((v, j) => Math.abs(v - wasmUpdate[i]![j]!)))));
    expect(worst / largest).toBeLessThan(TOLERANCE);
  });
});
