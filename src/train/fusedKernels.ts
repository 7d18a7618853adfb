import * as tf from '@tensorflow/tfjs';
import type { BatchNormAttrs, RunningAverageAttrs, SgdUpdateAttrs } from '../model/customKernels';
import { inputOf } from './kernelSupport';

/**
 * The cpu and wasm backends' custom training kernels (model/customKernels.ts names them), each one JavaScript loop
 * over the backend's memory where tfjs would make several kernel calls of ~10 µs each on wasm:
 * - SGD's update, with or without momentum, with coupled weight decay, for all the variables in one call (two to six
 *   element-wise ops per variable otherwise: ~350 calls a step for the Classroom network);
 * - batch norm's training pass with its ReLU, its gradient and the running averages (4, ~13 and 6 kernel calls a
 *   layer otherwise; the wasm Classroom step went from 2,156 calls and 85–94 ms to 1,187 and 76–85 ms).
 * WebGPU has its own (webgpuBatchNorm.ts, webgpuUpdate.ts); trainingKernels.ts installs them per backend.
 */

type Info = tf.TensorInfo;

/** One variable's new weight (and buffer) from its arrays, in place into the output arrays. */
function updateArrays(
  { learningRate, weightDecay, momentum }: SgdUpdateAttrs & { learningRate: number },
  w: ArrayLike<number>,
  g: ArrayLike<number>,
  b: ArrayLike<number> | null,
  newW: Float32Array,
  newB: Float32Array | null,
) {
  for (let j = 0; j < newW.length; j++) {
    const gradient = g[j]! + weightDecay * w[j]!;
    if (b === null || newB === null) {
      newW[j] = w[j]! - learningRate * gradient;
    } else {
      const buffer = momentum * b[j]! + gradient;
      newB[j] = buffer;
      newW[j] = w[j]! - learningRate * buffer;
    }
  }
}

interface CpuLike {
  readSync(dataId: tf.DataId): unknown;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): Info;
}

interface WasmLike {
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  typedArrayFromHeap(info: Info): Float32Array;
}

/** What a computation on float32 arrays reads and writes, given its kernel's inputs and attributes. */
interface ArrayKernel {
  inputNames(attrs: tf.NamedAttrMap): string[];
  outputShapes(inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): number[][];
  compute(inputs: Float32Array[], outputs: Float32Array[], attrs: tf.NamedAttrMap): void;
}

/** The computation as a cpu kernel (over its arrays) and a wasm kernel (over views of the wasm heap). */
function cpuAndWasm({ inputNames, outputShapes, compute }: ArrayKernel): { cpu: tf.KernelFunc; wasm: tf.KernelFunc } {
  const cpu: tf.KernelFunc = ({ inputs, backend, attrs = {} }) => {
    const cpuBackend = backend as unknown as CpuLike;
    const arrays = inputNames(attrs).map((name) => cpuBackend.readSync(inputOf(inputs, name).dataId) as Float32Array);
    const shapes = outputShapes(inputs, attrs);
    const outputs = shapes.map((shape) => new Float32Array(tf.util.sizeFromShape(shape)));
    compute(arrays, outputs, attrs);
    return outputs.map((values, i) => cpuBackend.makeTensorInfo(shapes[i]!, 'float32', values));
  };
  const wasm: tf.KernelFunc = ({ inputs, backend, attrs = {} }) => {
    const wasmBackend = backend as unknown as WasmLike;
    const outputs = outputShapes(inputs, attrs).map((shape) => wasmBackend.makeOutput(shape, 'float32'));
    // Views are taken after the outputs are made: growing the heap detaches earlier ones.
    const arrays = inputNames(attrs).map((name) => wasmBackend.typedArrayFromHeap(inputOf(inputs, name)));
    compute(arrays, outputs.map((info) => wasmBackend.typedArrayFromHeap(info)), attrs);
    return outputs;
  };
  return { cpu, wasm };
}

const sgdUpdate = cpuAndWasm({
  inputNames: (attrs) => {
    const { variableCount, momentum } = attrs as unknown as SgdUpdateAttrs;
    return ['rate', ...Array.from({ length: variableCount }, (_, i) => (momentum > 0 ? [`w${i}`, `g${i}`, `b${i}`] : [`w${i}`, `g${i}`])).flat()];
  },
  outputShapes: (inputs, attrs) => {
    const { variableCount, momentum } = attrs as unknown as SgdUpdateAttrs;
    const weights = Array.from({ length: variableCount }, (_, i) => inputOf(inputs, `w${i}`).shape);
    return momentum > 0 ? [...weights, ...weights] : weights;
  },
  compute: ([rate, ...arrays], outputs, attrs) => {
    const update = { ...(attrs as unknown as SgdUpdateAttrs), learningRate: rate![0]! };
    const perVariable = update.momentum > 0 ? 3 : 2;
    for (let i = 0; i < update.variableCount; i++) {
      const [w, g, b] = arrays.slice(i * perVariable, (i + 1) * perVariable) as [Float32Array, Float32Array, Float32Array?];
      updateArrays(update, w, g, b ?? null, outputs[i]!, update.momentum > 0 ? outputs[update.variableCount + i]! : null);
    }
  },
});

/**
 * Batch norm's input, scale and offset gradients over NHWC arrays, channels innermost: one pass for the two sums
 * (in double precision), one for dx = γ/σ · (dz − Σdz/M − x̂ · Σ(dz·x̂)/M), dz being dy masked by the fused ReLU's
 * zeros (y = 0) when there is one.
 */
function batchNormGradientArrays(
  arrays: { dy: ArrayLike<number>; x: ArrayLike<number>; y: ArrayLike<number> | null; statistics: ArrayLike<number>; scale: ArrayLike<number> },
  epsilon: number,
  out: { dx: Float32Array; scale: Float32Array; offset: Float32Array },
): void {
  const { dy, x, y, statistics, scale } = arrays;
  const channels = scale.length;
  const count = dy.length / channels;
  const upstream = (i: number) => (y === null || y[i]! > 0 ? dy[i]! : 0);
  const mean = (c: number) => statistics[c]!;
  const inverseStd = Float64Array.from({ length: channels }, (_, c) => 1 / Math.sqrt(Math.fround(statistics[channels + c]! + epsilon)));
  const sumDy = new Float64Array(channels);
  const sumDyNormalised = new Float64Array(channels);
  for (let i = 0; i < dy.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const gradient = upstream(i + c);
      sumDy[c] = sumDy[c]! + gradient;
      sumDyNormalised[c] = sumDyNormalised[c]! + gradient * (x[i + c]! - mean(c)) * inverseStd[c]!;
    }
  }
  const inputScale = Float64Array.from({ length: channels }, (_, c) => scale[c]! * inverseStd[c]!);
  const meanDy = sumDy.map((v) => v / count);
  const meanDyNormalised = sumDyNormalised.map((v) => v / count);
  for (let i = 0; i < dy.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const normalised = (x[i + c]! - mean(c)) * inverseStd[c]!;
      out.dx[i + c] = inputScale[c]! * (upstream(i + c) - meanDy[c]! - normalised * meanDyNormalised[c]!);
    }
  }
  out.scale.set(sumDyNormalised);
  out.offset.set(sumDy);
}

/** Batch norm's training pass over NHWC arrays: μ and σ² (biased, two passes, in double precision), then y (≥ 0 with a ReLU). */
function batchNormForwardArrays(
  arrays: { x: ArrayLike<number>; scale: ArrayLike<number>; offset: ArrayLike<number> },
  { epsilon, relu }: BatchNormAttrs,
  out: { y: Float32Array; statistics: Float32Array },
): void {
  const { x, scale, offset } = arrays;
  const channels = scale.length;
  const count = x.length / channels;
  const mean = new Float64Array(channels);
  for (let i = 0; i < x.length; i += channels) for (let c = 0; c < channels; c++) mean[c] = mean[c]! + x[i + c]!;
  for (let c = 0; c < channels; c++) mean[c] = mean[c]! / count;
  const variance = new Float64Array(channels);
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const centred = x[i + c]! - mean[c]!;
      variance[c] = variance[c]! + centred * centred;
    }
  }
  for (let c = 0; c < channels; c++) variance[c] = variance[c]! / count;
  const inputScale = Float64Array.from({ length: channels }, (_, c) => scale[c]! / Math.sqrt(Math.fround(Math.fround(variance[c]!) + epsilon)));
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const value = (x[i + c]! - mean[c]!) * inputScale[c]! + offset[c]!;
      out.y[i + c] = relu ? Math.max(value, 0) : value;
    }
  }
  out.statistics.set(mean);
  out.statistics.set(variance, channels);
}

/** μ' = m·μ + (1 − m)·batch μ, σ²' = m·σ² + (1 − m)·c·batch σ², both in one call on the CPU backends. */
function runningAverageArrays(
  arrays: { mean: ArrayLike<number>; variance: ArrayLike<number>; statistics: ArrayLike<number> },
  { momentum, varianceCorrection }: RunningAverageAttrs,
  out: { mean: Float32Array; variance: Float32Array },
): void {
  const channels = out.mean.length;
  for (let c = 0; c < channels; c++) {
    out.mean[c] = momentum * arrays.mean[c]! + (1 - momentum) * arrays.statistics[c]!;
    out.variance[c] = momentum * arrays.variance[c]! + (1 - momentum) * varianceCorrection * arrays.statistics[channels + c]!;
  }
}

const batchNormAttrs = (attrs: tf.NamedAttrMap) => attrs as unknown as BatchNormAttrs;
const shapeOf = (inputs: tf.NamedTensorInfoMap, name: string) => inputOf(inputs, name).shape;

const batchNormForward = cpuAndWasm({
  inputNames: () => ['x', 'scale', 'offset'],
  outputShapes: (inputs) => [shapeOf(inputs, 'x'), [2, ...shapeOf(inputs, 'scale')]],
  compute: ([x, scale, offset], [y, statistics], attrs) =>
    batchNormForwardArrays({ x: x!, scale: scale!, offset: offset! }, batchNormAttrs(attrs), { y: y!, statistics: statistics! }),
});

const runningAverages = cpuAndWasm({
  inputNames: () => ['mean', 'variance', 'statistics'],
  outputShapes: (inputs) => [shapeOf(inputs, 'mean'), shapeOf(inputs, 'mean')],
  compute: ([mean, variance, statistics], [newMean, newVariance], attrs) =>
    runningAverageArrays({ mean: mean!, variance: variance!, statistics: statistics! }, attrs as unknown as RunningAverageAttrs, {
      mean: newMean!,
      variance: newVariance!,
    }),
});

const batchNormGradient = cpuAndWasm({
  inputNames: (attrs) => ['dy', 'x', 'statistics', 'scale', ...(batchNormAttrs(attrs).relu ? ['y'] : [])],
  outputShapes: (inputs) => [shapeOf(inputs, 'x'), shapeOf(inputs, 'scale'), shapeOf(inputs, 'scale')],
  compute: ([dy, x, statistics, scale, y], [dx, scaleGradient, offsetGradient], attrs) =>
    batchNormGradientArrays(
      { dy: dy!, x: x!, y: y ?? null, statistics: statistics!, scale: scale! },
      batchNormAttrs(attrs).epsilon,
      { dx: dx!, scale: scaleGradient!, offset: offsetGradient! },
    ),
});

/** The kernels for tfjs's cpu and wasm backends, by the names of model/customKernels.ts. */
export const ARRAY_KERNELS = { sgdUpdate, batchNormForward, batchNormGradient, runningAverages } as const;
