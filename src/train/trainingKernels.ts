import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../domain/backend';
import { BATCH_NORM_FORWARD, BATCH_NORM_GRADIENT, RELU_GRADIENT, RUNNING_AVERAGES, SGD_UPDATE } from '../model/customKernels';
import { reluGradient } from '../model/trainingConv';
import { BUILTIN_CONV_POLICY, type ConvPolicy } from './convStrategy';
import { ARRAY_KERNELS } from './fusedKernels';
import { originalKernel } from './kernelSupport';
import { wasmTrainingKernels } from './wasmKernels';
import { webgpuBatchNormForward, webgpuBatchNormGradient, webgpuRunningAverages } from './webgpuBatchNorm';
import { FORWARD_KERNELS, webgpuForwardConv } from './webgpuForwardConv';
import { webgpuInputGradient } from './webgpuInputGradient';
import { webgpuGlobalAveragePool } from './webgpuGlobalPool';
import { webgpuReluGradient } from './webgpuKernels';
import { replaySteps } from './webgpuStepReplay';
import { webgpuSgdUpdate } from './webgpuUpdate';
import { webgpuWeightGradient } from './webgpuWeightGradient';

/**
 * Every kernel and gradient the app adds to tfjs or puts in place of tfjs's own, in one table: what runs where, and
 * what it replaces. `install(backend, policy)` registers a backend's rows and returns the function that puts tfjs's
 * originals back; nothing registers anything on import. The backend set-up (worker/backend.ts) installs them, and the
 * benchmark and tests switch policies by installing again.
 */

/**
 * On WebGPU: the convolutions' strategies per layer, whether batch norm and SGD run our shaders or tfjs's ops, whether
 * the global average pool runs our shader or tfjs's Mean, and whether a session records its first full step and
 * replays it (webgpuStepReplay.ts; it needs the batch-norm and SGD shaders, which update in place).
 */
export interface WebGpuPolicy extends ConvPolicy {
  batchNorm: 'shaders' | 'ops';
  update: 'shaders' | 'ops';
  globalPool: 'shader' | 'tfjs';
  replay: boolean;
}

/** tfjs's kernels everywhere, batch norm and SGD as ops: the step as tfjs alone would run it. */
export const TFJS_WEBGPU_POLICY: WebGpuPolicy = { ...BUILTIN_CONV_POLICY, batchNorm: 'ops', update: 'ops', globalPool: 'tfjs', replay: false };

export interface KernelRow {
  backend: 'cpu' | 'wasm' | 'webgpu' | 'every backend';
  /** A kernel's name, or "gradient of" one. */
  kernel: string;
  implementation: string;
  /** What runs without this row: tfjs's own kernel, or the caller's ops (model/customKernels.ts's fallbacks). */
  replaces: string;
}

interface KernelDefinition extends KernelRow {
  /** The kernel under `policy`, or null where the policy leaves tfjs's own in place. */
  make?: (policy: WebGpuPolicy) => tf.KernelFunc | null;
  gradient?: tf.GradConfig;
}

const wasm = (kernel: string, implementation: string, replaces: string): KernelDefinition => ({
  backend: 'wasm',
  kernel,
  implementation,
  replaces,
  make: () => wasmTrainingKernels().find((k) => k.kernelName === kernel)!.kernelFunc,
});

const shadersUnless = (option: 'batchNorm' | 'update', kernel: tf.KernelFunc) => (policy: WebGpuPolicy) => (policy[option] === 'shaders' ? kernel : null);

const TABLE: readonly KernelDefinition[] = [
  ...(['cpu', 'wasm'] as const).flatMap((backend): KernelDefinition[] => [
    { backend, kernel: SGD_UPDATE, implementation: 'one JavaScript loop over every variable', replaces: '2–6 element-wise ops per variable', make: () => ARRAY_KERNELS.sgdUpdate[backend] },
    {
      backend,
      kernel: BATCH_NORM_FORWARD,
      implementation: 'one loop: μ, σ² (double precision), y and its ReLU',
      replaces: 'mean, squared difference, mean, batchNorm, ReLU',
      make: () => ARRAY_KERNELS.batchNormForward[backend],
    },
    { backend, kernel: BATCH_NORM_GRADIENT, implementation: 'one loop: two sums, then dx', replaces: '≈ 13 ops', make: () => ARRAY_KERNELS.batchNormGradient[backend] },
    { backend, kernel: RUNNING_AVERAGES, implementation: 'one loop over the channels', replaces: '6 element-wise ops', make: () => ARRAY_KERNELS.runningAverages[backend] },
  ]),
  wasm('Conv2DBackpropFilter', "a forward convolution of xᵀ with dyᵀ (1×1: one product), in wasm's XNNPACK kernels", 'nothing: wasm has no weight gradient'),
  wasm('Conv2DBackpropInput', 'stride 1: a forward convolution with the turned filter (≈ 8× faster)', "wasm's scalar loop"),
  wasm('BatchMatMul', 'transposes made explicit, so XNNPACK runs the product', "wasm's scalar loop for transposed operands"),
  wasm('Tile', 'a broadcasting add where the tiling is a broadcast', "wasm's element loop"),
  wasm('MaxPoolGrad', 'a JavaScript loop over the heap, ties to the first largest cell (2.5× faster)', "wasm's kernel (ties to the last)"),
  {
    backend: 'webgpu',
    kernel: 'Conv2DBackpropFilter',
    implementation: "per layer (convTables.json): tfjs's, a forward convolution, im2col + product, or our implicit GEMM",
    replaces: "tfjs's loop: one thread per filter element, serial over N·outH·outW",
    make: (policy) => webgpuWeightGradient(policy.weightGradient),
  },
  ...FORWARD_KERNELS.map(
    (kernel): KernelDefinition => ({
      backend: 'webgpu',
      kernel,
      implementation: "per layer: tfjs's, or im2col + one product over the whole batch, bias and activation fused",
      replaces: "tfjs's tiled convolution (one product per image for 1×1 layers)",
      make: (policy) => webgpuForwardConv(kernel, policy.forward),
    }),
  ),
  {
    backend: 'webgpu',
    kernel: 'Conv2DBackpropInput',
    implementation: "per layer: tfjs's direct kernel or its matrix-product one",
    replaces: "tfjs's choice by a global flag (direct)",
    make: (policy) => webgpuInputGradient(policy.inputGradient),
  },
  {
    backend: 'webgpu',
    kernel: BATCH_NORM_FORWARD,
    implementation: 'moments (1–2 shaders), then normalisation + ReLU (1)',
    replaces: '≈ 8 dispatches: means, squared difference, batchNorm, ReLU',
    make: shadersUnless('batchNorm', webgpuBatchNormForward),
  },
  {
    backend: 'webgpu',
    kernel: BATCH_NORM_GRADIENT,
    implementation: 'the two sums (1–2 shaders), then dx (1), the ReLU mask inside',
    replaces: '≈ 16 dispatches',
    make: shadersUnless('batchNorm', webgpuBatchNormGradient),
  },
  {
    backend: 'webgpu',
    kernel: RUNNING_AVERAGES,
    implementation: 'one shader, written in place',
    replaces: '6 dispatches and two new buffers',
    make: shadersUnless('batchNorm', webgpuRunningAverages),
  },
  {
    backend: 'webgpu',
    kernel: SGD_UPDATE,
    implementation: 'in place, as many variables per shader as the bindings allow (3 at WebGPU’s minimum, up to 15)',
    replaces: '2–6 element-wise dispatches per variable',
    make: shadersUnless('update', webgpuSgdUpdate),
  },
  { backend: 'webgpu', kernel: RELU_GRADIENT, implementation: 'one shader: dy where y > 0', replaces: 'step and multiply', make: () => webgpuReluGradient },
  {
    backend: 'webgpu',
    kernel: 'Mean',
    implementation: 'the global average pool (NHWC over height and width, ≤ 256 cells): one thread per output',
    replaces: "tfjs's transpose, then a 64-thread workgroup per output (other means still go to it)",
    make: (policy) => (policy.globalPool === 'shader' ? webgpuGlobalAveragePool() : null),
  },
  {
    backend: 'every backend',
    kernel: 'gradient of Relu',
    implementation: 'RELU_GRADIENT from the output (x > 0 and relu(x) > 0 are one mask)',
    replaces: "tfjs's step(x) · dy",
    gradient: { kernelName: 'Relu', inputsToSave: ['x'], gradFunc: (dy, saved) => ({ x: () => reluGradient(dy as tf.Tensor, saved[0]!) }) },
  },
];

/** The table as data, for the README (whose Architecture section shows it as markdownTable renders it) and the tests. */
export const KERNEL_TABLE: readonly KernelRow[] = TABLE.map(({ backend, kernel, implementation, replaces }) => ({ backend, kernel, implementation, replaces }));

/** The table as the README shows it. */
export function markdownTable(rows: readonly KernelRow[] = KERNEL_TABLE): string {
  const lines = rows.map((r) => `| ${r.backend} | ${r.kernel} | ${r.implementation} | ${r.replaces} |`);
  return ['| backend | kernel | what runs | in place of |', '|---|---|---|---|', ...lines].join('\n');
}

export type Uninstall = () => void;

/** What each backend has installed, so that installing again first puts the originals back. */
const installed = new Map<string, Uninstall>();

const replayUnder = (policy: WebGpuPolicy) => policy.replay && policy.batchNorm === 'shaders' && policy.update === 'shaders';

/** Gradients are global: tfjs's original comes back when the last backend that installed them uninstalls. */
const gradientOriginals = new Map<string, tf.GradConfig | undefined>();

function installGradients(): Uninstall {
  for (const row of TABLE) {
    if (row.gradient === undefined) continue;
    const { kernelName } = row.gradient;
    if (!gradientOriginals.has(kernelName)) gradientOriginals.set(kernelName, tf.getGradient(kernelName));
    tf.registerGradient(row.gradient);
  }
  return () => {
    if (installed.size > 0) return;
    for (const original of gradientOriginals.values()) if (original !== undefined) tf.registerGradient(original);
    gradientOriginals.clear();
  };
}

/**
 * Registers `backend`'s rows under `policy` (WebGPU's; the others have none), replacing whatever an earlier install
 * for that backend registered, and returns the function that restores tfjs's own kernels.
 */
export function install(backend: BackendName, policy: WebGpuPolicy = TFJS_WEBGPU_POLICY): Uninstall {
  installed.get(backend)?.();
  if (backend === 'webgpu') replaySteps(replayUnder(policy));
  const rows = TABLE.filter((row) => row.backend === backend && row.make !== undefined);
  // Originals are read before anything of ours is registered, so a row that calls tfjs's kernel reaches tfjs's.
  const originals = rows.map((row) => originalKernel(row.kernel, backend));
  const registered: string[] = [];
  rows.forEach((row, i) => {
    const kernelFunc = row.make!(policy);
    if (kernelFunc === null) return;
    const original = originals[i];
    if (tf.getKernel(row.kernel, backend) !== undefined) tf.unregisterKernel(row.kernel, backend);
    // A replaced wasm kernel's native function is bound when the backend starts; ours may still call it.
    tf.registerKernel({ kernelName: row.kernel, backendName: backend, kernelFunc, setupFunc: original?.setupFunc });
    registered.push(row.kernel);
  });
  const uninstallGradients = installGradients();
  const uninstall: Uninstall = () => {
    if (installed.get(backend) !== uninstall) return;
    installed.delete(backend);
    if (backend === 'webgpu') replaySteps(false);
    for (const kernel of registered) {
      tf.unregisterKernel(kernel, backend);
      const original = originalKernel(kernel, backend);
      if (original !== undefined) tf.registerKernel(original);
    }
    uninstallGradients();
  };
  installed.set(backend, uninstall);
  return uninstall;
}
