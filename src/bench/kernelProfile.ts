/**
 * Where a training step's time goes: tfjs's per-kernel records of one step, summed by kernel name and by family.
 * Pure: the records come from `tf.profile`, and whether a name is a registered kernel is asked of the caller.
 */

/** One record of `tf.profile`: a kernel call, or a custom-gradient op whose time already holds its kernels'. */
export interface KernelRecord {
  name: string;
  kernelMs: number;
}

/** The kinds of work the estimate is made of; every kernel name falls into one. */
export type KernelFamily =
  | 'forward conv'
  | 'weight gradient'
  | 'input gradient'
  | 'pooling'
  | 'matMul'
  | 'batch norm'
  | 'reduction'
  | 'layout and copies'
  | 'element-wise';

const FAMILY_OF: Record<string, KernelFamily> = {
  Conv2D: 'forward conv',
  FusedConv2D: 'forward conv',
  DepthwiseConv2dNative: 'forward conv',
  FusedDepthwiseConv2D: 'forward conv',
  Conv2DBackpropFilter: 'weight gradient',
  Conv2DBackpropInput: 'input gradient',
  MaxPool: 'pooling',
  MaxPoolGrad: 'pooling',
  AvgPool: 'pooling',
  AvgPoolGrad: 'pooling',
  BatchMatMul: 'matMul',
  _FusedMatMul: 'matMul',
  FusedBatchNorm: 'batch norm',
  // The app's own batch-norm kernels (src/model/batchNorm.ts), registered on wasm and cpu.
  PlaygroundBatchNormTraining: 'batch norm',
  PlaygroundBatchNormGradient: 'batch norm',
  PlaygroundRunningAverages: 'batch norm',
  Sum: 'reduction',
  Mean: 'reduction',
  Max: 'reduction',
  Min: 'reduction',
  Prod: 'reduction',
  ArgMax: 'reduction',
  ArgMin: 'reduction',
  Reshape: 'layout and copies',
  Transpose: 'layout and copies',
  Concat: 'layout and copies',
  Slice: 'layout and copies',
  StridedSlice: 'layout and copies',
  Tile: 'layout and copies',
  PadV2: 'layout and copies',
  MirrorPad: 'layout and copies',
  Reverse: 'layout and copies',
  GatherV2: 'layout and copies',
  Pack: 'layout and copies',
  Unpack: 'layout and copies',
  Identity: 'layout and copies',
  Cast: 'layout and copies',
  Fill: 'layout and copies',
  ZerosLike: 'layout and copies',
  OnesLike: 'layout and copies',
  SplitV: 'layout and copies',
  OneHot: 'layout and copies',
  ResizeBilinear: 'layout and copies',
};

/** Anything not listed is a per-element kernel (Add, Mul, Relu, Exp, Step…), which is what tfjs has most of. */
export const kernelFamily = (kernel: string): KernelFamily => FAMILY_OF[kernel] ?? 'element-wise';

export interface KernelTime {
  kernel: string;
  family: KernelFamily;
  ms: number;
  calls: number;
  /** Of the step's summed kernel time, in percent. */
  share: number;
}

export interface FamilyTime {
  family: KernelFamily;
  ms: number;
  calls: number;
  share: number;
}

export interface StepProfile {
  /** Summed kernel time of the step (custom-gradient scopes left out: their kernels are counted on their own). */
  totalMs: number;
  calls: number;
  kernels: KernelTime[];
  families: FamilyTime[];
  /** Custom-gradient scopes tf.profile also recorded, left out of the sums. */
  scopes: string[];
}

function withShares<T extends { ms: number }>(rows: T[], totalMs: number): (T & { share: number })[] {
  return rows
    .map((row) => ({ ...row, share: totalMs > 0 ? (100 * row.ms) / totalMs : 0 }))
    .sort((a, b) => b.ms - a.ms);
}

/**
 * Sums a step's records by kernel name and by family, largest first. A record whose name is no registered kernel
 * is a custom-gradient scope: tfjs times it around the kernels it runs, which are recorded too, so it is left out.
 */
export function aggregateKernels(records: readonly KernelRecord[], isKernel: (name: string) => boolean): StepProfile {
  const byKernel = new Map<string, { ms: number; calls: number }>();
  const scopes = new Set<string>();
  for (const { name, kernelMs } of records) {
    if (!isKernel(name)) {
      scopes.add(name);
      continue;
    }
    if (!Number.isFinite(kernelMs)) throw new Error(`The ${name} kernel has no time (${kernelMs}).`);
    const sum = byKernel.get(name) ?? { ms: 0, calls: 0 };
    sum.ms += kernelMs;
    sum.calls += 1;
    byKernel.set(name, sum);
  }
  const kernelRows = [...byKernel].map(([kernel, sum]) => ({ kernel, family: kernelFamily(kernel), ...sum }));
  const totalMs = kernelRows.reduce((total, row) => total + row.ms, 0);
  const byFamily = new Map<KernelFamily, { ms: number; calls: number }>();
  for (const row of kernelRows) {
    const sum = byFamily.get(row.family) ?? { ms: 0, calls: 0 };
    sum.ms += row.ms;
    sum.calls += row.calls;
    byFamily.set(row.family, sum);
  }
  return {
    totalMs,
    calls: kernelRows.reduce((total, row) => total + row.calls, 0),
    kernels: withShares(kernelRows, totalMs),
    families: withShares([...byFamily].map(([family, sum]) => ({ family, ...sum })), totalMs),
    scopes: [...scopes].sort(),
  };
}

/** Of several profiled steps, the one whose summed kernel time is the median: one real step, not a blend. */
export function medianStep(steps: readonly StepProfile[]): StepProfile {
  if (steps.length === 0) throw new Error('No profiled steps.');
  return [...steps].sort((a, b) => a.totalMs - b.totalMs)[Math.floor((steps.length - 1) / 2)]!;
}
