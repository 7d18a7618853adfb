import * as tf from '@tensorflow/tfjs';
import type { SgdUpdateAttrs } from '../model/customKernels';
import { type GpuBinding, type GpuProgram, dispatch, flatIndex, flatWorkgroups, internalsOf, sameTensor } from './webgpuDispatch';
import { inputOf } from './kernelSupport';

/**
 * SGD's update on WebGPU, written into the weights' own buffers: several variables per dispatch (as many as the
 * device's storage-buffer bindings allow, up to 32: 3 for plain SGD, 2 with momentum at WebGPU's minimum of 8), each
 * thread one element of one of them. In place, a weight keeps its buffer for the whole run, which a recorded
 * step (webgpuStepReplay.ts) relies on; and ~170 variables take ~60 dispatches instead of ~170.
 */

const WORKGROUP = 256;

/** Bindings per variable: the weight and its gradient, and the momentum buffer. */
const bindingsPerVariable = (momentum: boolean) => (momentum ? 3 : 2);

/** Past this many bindings a shader gains little (a dispatch per ~10 variables) and its source grows long. */
const MAX_BINDINGS = 32;

/** The variables one dispatch updates: the storage bindings left beside the learning rate's. */
export function variablesPerDispatch(maxStorageBuffers: number, momentum: boolean): number {
  return Math.max(1, Math.floor((Math.min(maxStorageBuffers, MAX_BINDINGS) - 1) / bindingsPerVariable(momentum)));
}

function updateProgram(count: number, momentum: boolean): GpuProgram {
  const perVariable = bindingsPerVariable(momentum);
  const declarations = Array.from({ length: count }, (_, j) => {
    const base = 1 + j * perVariable;
    const lines = [
      `@group(0) @binding(${base}) var<storage, read_write> w${j} : array<f32>;`,
      `@group(0) @binding(${base + 1}) var<storage, read> g${j} : array<f32>;`,
    ];
    if (momentum) lines.push(`@group(0) @binding(${base + 2}) var<storage, read_write> b${j} : array<f32>;`);
    return lines.join('\n');
  });
  // PyTorch's order of operations: g + wd·w first, then the buffer or the step.
  const body = (j: number) =>
    momentum
      ? `let buffer = u.momentum * b${j}[i] + (g${j}[i] + u.decay * w${j}[i]);\n      b${j}[i] = buffer;\n      w${j}[i] = w${j}[i] - rate[0] * buffer;`
      : `w${j}[i] = w${j}[i] - rate[0] * (g${j}[i] + u.decay * w${j}[i]);`;
  const branches = Array.from({ length: count }, (_, j) => {
    const start = j === 0 ? '0u' : `u.end${j - 1}`;
    return `${j === 0 ? '' : 'else '}if (index < u.end${j}) {\n      let i = index - ${start};\n      ${body(j)}\n    }`;
  });
  const ends = Array.from({ length: count }, (_, j) => `end${j} : u32,`).join(' ');
  return {
    key: `sgdUpdate_${count}_${momentum}`,
    name: 'SgdUpdate',
    source: () => `
@group(0) @binding(0) var<storage, read> rate : array<f32>;
${declarations.join('\n')}
struct Uniforms { ${ends} decay : f32, momentum : f32, }
@group(0) @binding(${1 + count * perVariable}) var<uniform> u : Uniforms;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  let index = u32(${flatIndex(WORKGROUP)});
  ${branches.join(' ')}
}`,
  };
}

/** SGD_UPDATE on WebGPU: {rate, w0…, g0…, b0…} → the same weights (then buffers), updated where they lie. */
export const webgpuSgdUpdate: tf.KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = anyBackend as tf.KernelBackend;
  const { weightDecay, momentum, variableCount } = attrs as unknown as SgdUpdateAttrs;
  const withMomentum = momentum > 0;
  const perDispatch = variablesPerDispatch(internalsOf(backend).device.limits.maxStorageBuffersPerShaderStage, withMomentum);
  const rate = inputOf(inputs, 'rate');
  const weights: tf.TensorInfo[] = [];
  const buffers: tf.TensorInfo[] = [];
  for (let first = 0; first < variableCount; first += perDispatch) {
    const group = Array.from({ length: Math.min(perDispatch, variableCount - first) }, (_, j) => first + j);
    const bindings: GpuBinding[] = [{ tensor: rate }];
    const ends: { u32: number }[] = [];
    let end = 0;
    for (const i of group) {
      const w = inputOf(inputs, `w${i}`);
      bindings.push({ tensor: w, write: true }, { tensor: inputOf(inputs, `g${i}`) });
      if (withMomentum) bindings.push({ tensor: inputOf(inputs, `b${i}`), write: true });
      end += tf.util.sizeFromShape(w.shape);
      ends.push({ u32: end });
    }
    dispatch(backend, updateProgram(group.length, withMomentum), bindings, [...ends, { f32: weightDecay }, { f32: momentum }], flatWorkgroups(end, WORKGROUP));
  }
  for (let i = 0; i < variableCount; i++) {
    weights.push(sameTensor(backend, inputOf(inputs, `w${i}`)));
    if (withMomentum) buffers.push(sameTensor(backend, inputOf(inputs, `b${i}`)));
  }
  return [...weights, ...buffers];
};
