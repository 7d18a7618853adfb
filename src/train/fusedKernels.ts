import * as tf from '@tensorflow/tfjs';
import { type WebGPUBackend, type WebGPUProgram, webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import { RELU_GRADIENT, reluGradient } from '../model/trainingConv';

/**
 * Kernels that do in one call what tfjs does in several, where the count of calls, not their arithmetic, is the cost.
 *
 * SGD's update (with or without momentum, with coupled weight decay) as one kernel for all the variables, instead
 * of two to six element-wise ops per variable: ~350 kernel calls a step for the Classroom network, which on a GPU
 * are dispatches of ~70 µs each (measured on an H200) and on wasm calls of ~10 µs. cpu and wasm run the whole update
 * in one JavaScript loop over their memory; WebGPU runs one shader per variable (and one more for each momentum
 * buffer). The learning rate is an attribute: a uniform on the GPU, never a recompile or a read.
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
  if (info === undefined) throw new Error(`${SGD_UPDATE} is missing its input ${name}.`);
  return info;
}

interface CpuLike {
  readSync(dataId: tf.DataId): unknown;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): Info;
}

const cpuUpdate: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const cpu = backend as unknown as CpuLike;
  const update = attrs as unknown as SgdUpdateAttrs;
  const weights: Info[] = [];
  const buffers: Info[] = [];
  for (let i = 0; i < update.variableCount; i++) {
    const w = inputOf(inputs, `w${i}`);
    const read = (name: string) => cpu.readSync(inputOf(inputs, name).dataId) as Float32Array;
    const newW = new Float32Array(tf.util.sizeFromShape(w.shape));
    const newB = update.momentum > 0 ? new Float32Array(newW.length) : null;
    updateArrays(update, read(`w${i}`), read(`g${i}`), newB ? read(`b${i}`) : null, newW, newB);
    weights.push(cpu.makeTensorInfo(w.shape, 'float32', newW));
    if (newB) buffers.push(cpu.makeTensorInfo(w.shape, 'float32', newB));
  }
  return [...weights, ...buffers];
};

interface WasmLike {
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  typedArrayFromHeap(info: Info): Float32Array;
}

const wasmUpdate: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as unknown as WasmLike;
  const update = attrs as unknown as SgdUpdateAttrs;
  const weights: Info[] = [];
  const buffers: Info[] = [];
  for (let i = 0; i < update.variableCount; i++) {
    const w = inputOf(inputs, `w${i}`);
    const newWInfo = wasm.makeOutput(w.shape, 'float32');
    const newBInfo = update.momentum > 0 ? wasm.makeOutput(w.shape, 'float32') : null;
    // Views are taken after the outputs are made: growing the heap detaches earlier ones.
    const view = (name: string) => wasm.typedArrayFromHeap(inputOf(inputs, name));
    updateArrays(update, view(`w${i}`), view(`g${i}`), newBInfo ? view(`b${i}`) : null, wasm.typedArrayFromHeap(newWInfo), newBInfo ? wasm.typedArrayFromHeap(newBInfo) : null);
    weights.push(newWInfo);
    if (newBInfo) buffers.push(newBInfo);
  }
  return [...weights, ...buffers];
};

/** out = a − rate·(b + decay·a) for a step (b the gradient), or out = μ·a + b + decay·c for a buffer (c the weight). */
class SgdUpdateProgram implements WebGPUProgram {
  readonly variableNames: string[];
  readonly uniforms = 'rate : f32, decay : f32, momentum : f32,';
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly size = true;
  readonly shaderKey: string;
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];

  constructor(
    readonly outputShape: number[],
    private readonly form: 'step' | 'buffer',
  ) {
    this.variableNames = form === 'step' ? ['a', 'b'] : ['a', 'b', 'c'];
    this.shaderKey = `playgroundSgdUpdate_${form}`;
    this.dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize);
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
class ReluGradientProgram implements WebGPUProgram {
  readonly variableNames = ['dy', 'y'];
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly size = true;
  readonly shaderKey = 'playgroundReluGradient';
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];

  constructor(readonly outputShape: number[]) {
    this.dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize);
  }

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

const KERNELS: readonly (Omit<tf.KernelConfig, 'setupFunc' | 'disposeFunc'>)[] = [
  { kernelName: SGD_UPDATE, backendName: 'cpu', kernelFunc: cpuUpdate },
  { kernelName: SGD_UPDATE, backendName: 'wasm', kernelFunc: wasmUpdate },
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
