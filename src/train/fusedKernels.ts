import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { BATCH_NORM_FORWARD, BATCH_NORM_GRADIENT, RUNNING_AVERAGES, type RunningAverageAttrs } from '../model/batchNorm';
import { RELU_GRADIENT, reluGradient } from '../model/trainingConv';
import { PerElementProgram } from './webgpuKernels';

/**
 * Kernels that do in one call what tfjs does in several, where the count of calls, not their arithmetic, is the cost.
 *
 * SGD's update (with or without momentum, with coupled weight decay) as one kernel for all the variables, instead
 * of two to six element-wise ops per variable: ~350 kernel calls a step for the Classroom network, which on a GPU
 * are dispatches of ~70 µs each (measured on an H200) and on wasm calls of ~10 µs. cpu and wasm run the whole update
 * in one JavaScript loop over their memory; WebGPU runs one shader per variable (and one more for each momentum
 * buffer). The learning rate is an attribute: a uniform on the GPU, never a recompile or a read.
 *
 * On cpu and wasm, batch norm's training pass, gradient and running averages (model/batchNorm.ts) as one loop each
 * (4, ~13 and 6 kernel calls a layer otherwise; the wasm Classroom step went from 2,156 calls and 85–94 ms to 1,187
 * and 76–85 ms), and on WebGPU ReLU's gradient as one dispatch.
 */

export const SGD_UPDATE = 'PlaygroundSgdUpdate';

export interface SgdUpdateAttrs {
  learningRate: number;
  weightDecay: number;
  /** 0 for plain SGD; PyTorch's buf = μ·buf + g, w −= lr·buf otherwise. */
  momentum: number;
  variableCount: number;
}

/** The inputs are named w0…, g0… and, with momentum, b0…; the outputs are the new weights, then the new buffers. */
export function updateInputs(weights: tf.Tensor[], gradients: tf.Tensor[], buffers: tf.Tensor[]): tf.NamedTensorMap {
  const inputs: tf.NamedTensorMap = {};
  weights.forEach((w, i) => {
    inputs[`w${i}`] = w;
    inputs[`g${i}`] = gradients[i]!;
    if (buffers.length > 0) inputs[`b${i}`] = buffers[i]!;
  });
  return inputs;
}

type Info = tf.TensorInfo;

/** One variable's new weight (and buffer) from its arrays, in place into the output arrays. */
function updateArrays(attrs: SgdUpdateAttrs, w: ArrayLike<number>, g: ArrayLike<number>, b: ArrayLike<number> | null, newW: Float32Array, newB: Float32Array | null) {
  const { learningRate, weightDecay, momentum } = attrs;
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

function inputOf(inputs: tf.NamedTensorInfoMap, name: string): Info {
  const info = inputs[name];
  if (info === undefined) throw new Error(`A fused kernel is missing its input ${name}.`);
  return info;
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
    return Array.from({ length: variableCount }, (_, i) => (momentum > 0 ? [`w${i}`, `g${i}`, `b${i}`] : [`w${i}`, `g${i}`])).flat();
  },
  outputShapes: (inputs, attrs) => {
    const { variableCount, momentum } = attrs as unknown as SgdUpdateAttrs;
    const weights = Array.from({ length: variableCount }, (_, i) => inputOf(inputs, `w${i}`).shape);
    return momentum > 0 ? [...weights, ...weights] : weights;
  },
  compute: (arrays, outputs, attrs) => {
    const update = attrs as unknown as SgdUpdateAttrs;
    const perVariable = update.momentum > 0 ? 3 : 2;
    for (let i = 0; i < update.variableCount; i++) {
      const [w, g, b] = arrays.slice(i * perVariable, (i + 1) * perVariable) as [Float32Array, Float32Array, Float32Array?];
      updateArrays(update, w, g, b ?? null, outputs[i]!, update.momentum > 0 ? outputs[update.variableCount + i]! : null);
    }
  },
});

/** out = a − rate·(b + decay·a) for a step (b the gradient), or out = μ·a + b + decay·c for a buffer (c the weight). */
class SgdUpdateProgram extends PerElementProgram {
  readonly variableNames: string[];
  readonly uniforms = 'rate : f32, decay : f32, momentum : f32,';
  readonly shaderKey: string;

  constructor(
    outputShape: number[],
    private readonly form: 'step' | 'buffer',
  ) {
    super(outputShape);
    this.variableNames = form === 'step' ? ['a', 'b'] : ['a', 'b', 'c'];
    this.shaderKey = `playgroundSgdUpdate_${form}`;
  }

  getUserCode(): string {
    const value =
      this.form === 'step'
        ? 'getAByOutputIndex(index) - uniforms.rate * (getBByOutputIndex(index) + uniforms.decay * getAByOutputIndex(index))'
        : 'uniforms.momentum * getAByOutputIndex(index) + getBByOutputIndex(index) + uniforms.decay * getCByOutputIndex(index)';
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          setOutputAtIndex(index, ${value});
        }
      }
    `;
  }
}

const webgpuUpdate: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const gpu = backend as unknown as WebGPUBackend;
  const { learningRate, weightDecay, momentum, variableCount } = attrs as unknown as SgdUpdateAttrs;
  const uniforms = (rate: number, decay: number) => [
    { type: 'float32', data: [rate] },
    { type: 'float32', data: [decay] },
    { type: 'float32', data: [momentum] },
  ];
  const weights: Info[] = [];
  const buffers: Info[] = [];
  for (let i = 0; i < variableCount; i++) {
    const w = inputOf(inputs, `w${i}`);
    const g = inputOf(inputs, `g${i}`);
    if (momentum > 0) {
      const buffer = gpu.runWebGPUProgram(new SgdUpdateProgram(w.shape, 'buffer'), [inputOf(inputs, `b${i}`), g, w], 'float32', uniforms(0, weightDecay));
      // w − lr·(buf + 0·w): the step's form with the new buffer as its gradient.
      weights.push(gpu.runWebGPUProgram(new SgdUpdateProgram(w.shape, 'step'), [w, buffer], 'float32', uniforms(learningRate, 0)));
      buffers.push(buffer);
    } else {
      weights.push(gpu.runWebGPUProgram(new SgdUpdateProgram(w.shape, 'step'), [w, g], 'float32', uniforms(learningRate, weightDecay)));
    }
  }
  return [...weights, ...buffers];
};

/** ReLU's gradient on the GPU in one dispatch: dy where y > 0, else 0 (tfjs: step(y), then a multiply). */
class ReluGradientProgram extends PerElementProgram {
  readonly variableNames = ['dy', 'y'];
  readonly shaderKey = 'playgroundReluGradient';

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          setOutputAtIndex(index, select(0.0, getDyByOutputIndex(index), getYByOutputIndex(index) > 0.0));
        }
      }
    `;
  }
}

const webgpuReluGradient: tf.KernelFunc = ({ inputs, backend }) => {
  const dy = inputOf(inputs, 'dy');
  return (backend as unknown as WebGPUBackend).runWebGPUProgram(new ReluGradientProgram(dy.shape), [dy, inputOf(inputs, 'y')], 'float32');
};

/**
 * Batch norm's input, scale and offset gradients over NHWC arrays, channels innermost: one pass for the two sums
 * (in double precision), one for dx = γ/σ · (dy − Σdy/M − x̂ · Σ(dy·x̂)/M).
 */
function batchNormGradientArrays(
  arrays: { dy: ArrayLike<number>; x: ArrayLike<number>; mean: ArrayLike<number>; variance: ArrayLike<number>; scale: ArrayLike<number> },
  epsilon: number,
  out: { dx: Float32Array; scale: Float32Array; offset: Float32Array },
): void {
  const { dy, x, mean, variance, scale } = arrays;
  const channels = mean.length;
  const count = dy.length / channels;
  const inverseStd = Float64Array.from({ length: channels }, (_, c) => 1 / Math.sqrt(Math.fround(variance[c]! + epsilon)));
  const sumDy = new Float64Array(channels);
  const sumDyNormalised = new Float64Array(channels);
  for (let i = 0; i < dy.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const gradient = dy[i + c]!;
      sumDy[c] = sumDy[c]! + gradient;
      sumDyNormalised[c] = sumDyNormalised[c]! + gradient * (x[i + c]! - mean[c]!) * inverseStd[c]!;
    }
  }
  const inputScale = Float64Array.from({ length: channels }, (_, c) => scale[c]! * inverseStd[c]!);
  const meanDy = sumDy.map((v) => v / count);
  const meanDyNormalised = sumDyNormalised.map((v) => v / count);
  for (let i = 0; i < dy.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const normalised = (x[i + c]! - mean[c]!) * inverseStd[c]!;
      out.dx[i + c] = inputScale[c]! * (dy[i + c]! - meanDy[c]! - normalised * meanDyNormalised[c]!);
    }
  }
  out.scale.set(sumDyNormalised);
  out.offset.set(sumDy);
}

/** Batch norm's training pass over NHWC arrays: μ and σ² (biased, two passes, in double precision), then y. */
function batchNormForwardArrays(
  arrays: { x: ArrayLike<number>; scale: ArrayLike<number>; offset: ArrayLike<number> },
  epsilon: number,
  out: { y: Float32Array; mean: Float32Array; variance: Float32Array },
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
    for (let c = 0; c < channels; c++) out.y[i + c] = (x[i + c]! - mean[c]!) * inputScale[c]! + offset[c]!;
  }
  out.mean.set(mean);
  out.variance.set(variance);
}

/** μ' = m·μ + (1 − m)·batch μ, σ²' = m·σ² + (1 − m)·c·batch σ², both in one call on the CPU backends. */
function runningAverageArrays(
  arrays: { mean: ArrayLike<number>; variance: ArrayLike<number>; batchMean: ArrayLike<number>; batchVariance: ArrayLike<number> },
  { momentum, varianceCorrection }: RunningAverageAttrs,
  out: { mean: Float32Array; variance: Float32Array },
): void {
  for (let c = 0; c < out.mean.length; c++) {
    out.mean[c] = momentum * arrays.mean[c]! + (1 - momentum) * arrays.batchMean[c]!;
    out.variance[c] = momentum * arrays.variance[c]! + (1 - momentum) * varianceCorrection * arrays.batchVariance[c]!;
  }
}

const epsilonOf = (attrs: tf.NamedAttrMap) => (attrs as unknown as { epsilon: number }).epsilon;
const channelShape = (inputs: tf.NamedTensorInfoMap, name: string) => inputOf(inputs, name).shape;

const batchNormForward = cpuAndWasm({
  inputNames: () => ['x', 'scale', 'offset'],
  outputShapes: (inputs) => [inputOf(inputs, 'x').shape, channelShape(inputs, 'scale'), channelShape(inputs, 'scale')],
  compute: ([x, scale, offset], [y, mean, variance], attrs) =>
    batchNormForwardArrays({ x: x!, scale: scale!, offset: offset! }, epsilonOf(attrs), { y: y!, mean: mean!, variance: variance! }),
});

const runningAverages = cpuAndWasm({
  inputNames: () => ['mean', 'variance', 'batchMean', 'batchVariance'],
  outputShapes: (inputs) => [channelShape(inputs, 'mean'), channelShape(inputs, 'mean')],
  compute: ([mean, variance, batchMean, batchVariance], [newMean, newVariance], attrs) =>
    runningAverageArrays(
      { mean: mean!, variance: variance!, batchMean: batchMean!, batchVariance: batchVariance! },
      attrs as unknown as RunningAverageAttrs,
      { mean: newMean!, variance: newVariance! },
    ),
});

const batchNormGradient = cpuAndWasm({
  inputNames: () => ['dy', 'x', 'mean', 'variance', 'scale'],
  outputShapes: (inputs) => [inputOf(inputs, 'x').shape, channelShape(inputs, 'mean'), channelShape(inputs, 'mean')],
  compute: ([dy, x, mean, variance, scale], [dx, scaleGradient, offsetGradient], attrs) =>
    batchNormGradientArrays(
      { dy: dy!, x: x!, mean: mean!, variance: variance!, scale: scale! },
      epsilonOf(attrs),
      { dx: dx!, scale: scaleGradient!, offset: offsetGradient! },
    ),
});

const KERNELS: readonly (Omit<tf.KernelConfig, 'setupFunc' | 'disposeFunc'>)[] = [
  ...(['cpu', 'wasm'] as const).flatMap((backendName) => [
    { kernelName: SGD_UPDATE, backendName, kernelFunc: sgdUpdate[backendName] },
    { kernelName: BATCH_NORM_FORWARD, backendName, kernelFunc: batchNormForward[backendName] },
    { kernelName: BATCH_NORM_GRADIENT, backendName, kernelFunc: batchNormGradient[backendName] },
    { kernelName: RUNNING_AVERAGES, backendName, kernelFunc: runningAverages[backendName] },
  ]),
  { kernelName: SGD_UPDATE, backendName: 'webgpu', kernelFunc: webgpuUpdate },
  { kernelName: RELU_GRADIENT, backendName: 'webgpu', kernelFunc: webgpuReluGradient },
];

/** The ReLU layers' gradient (each batch norm's ReLU) through the same one-call kernel. */
const RELU_LAYER_GRADIENT: tf.GradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => ({ x: () => reluGradient(dy as tf.Tensor, saved[0]!) }),
};

/**
 * Registers these kernels for the backends that have them (idempotent); others keep tfjs's ops. ReLU's gradient is
 * replaced for every backend: x > 0 and relu(x) > 0 are the same mask.
 */
export function registerFusedKernels(): void {
  for (const config of KERNELS) {
    if (tf.getKernel(config.kernelName, config.backendName) === undefined) tf.registerKernel(config);
  }
  if (tf.getGradient('Relu') !== RELU_LAYER_GRADIENT) tf.registerGradient(RELU_LAYER_GRADIENT);
}

/** Whether the current backend runs SGD's update as one kernel. */
export function hasSgdUpdate(): boolean {
  return tf.getKernel(SGD_UPDATE, tf.getBackend()) !== undefined;
}
