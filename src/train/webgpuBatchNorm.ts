import * as tf from '@tensorflow/tfjs';
import type { BatchNormAttrs, RunningAverageAttrs } from '../model/customKernels';
import { type GpuBinding, type GpuProgram, dispatch, flatIndex, flatWorkgroups, outputTensor, sameTensor } from './webgpuDispatch';
import { inputOf } from './kernelSupport';

/**
 * Batch norm's training pass, gradient and running averages on WebGPU in a few shaders a layer, where tfjs's ops take
 * about 30 dispatches (moments, the normalisation, the running averages, and the gradient op by op). NHWC, reduced
 * over the M = N·H·W rows of each channel:
 * - forward: the moments (μ, σ² biased, by Welford's update per thread and Chan's merge across threads), then the
 *   normalisation with the ReLU fused in when asked: 2 dispatches, 3 when M·C is large enough to split the rows into
 *   chunks whose moments a third shader merges;
 * - backward: Σdz and Σdz·x̂ per channel (dz the ReLU-masked dy), which are dβ and dγ, then dx: 2 or 3 dispatches;
 * - running averages: one dispatch updating both in place.
 * The statistics travel as one [2, C] tensor (μ, then σ²): a shader may bind only 8 storage buffers, and dx needs
 * dy, x, y, the statistics, γ, dγ, dβ and itself.
 */

/** Threads per workgroup in the reductions: channel lanes × row lanes. */
const REDUCTION_THREADS = 256;

/** Up to this many elements are reduced by one workgroup per 64 channels, in one pass. */
const SINGLE_PASS_ELEMENTS = 1 << 17;

/** Elements per chunk when the rows are split, and the most chunks: enough workgroups to fill a large GPU. */
const ELEMENTS_PER_CHUNK = 1 << 16;
const MAX_CHUNKS = 128;

const ELEMENTWISE_WORKGROUP = 256;

/** How a reduction over the rows is laid out: one workgroup covers `channelLanes` channels of one chunk of rows. */
interface ReductionLayout {
  rows: number;
  channels: number;
  channelLanes: number;
  rowLanes: number;
  chunks: number;
  rowsPerChunk: number;
}

export function reductionLayout(rows: number, channels: number): ReductionLayout {
  const channelLanes = Math.min(64, 2 ** Math.ceil(Math.log2(Math.max(1, channels))));
  const rowLanes = REDUCTION_THREADS / channelLanes;
  const elements = rows * channels;
  const wanted = elements <= SINGLE_PASS_ELEMENTS ? 1 : Math.min(MAX_CHUNKS, Math.ceil(elements / ELEMENTS_PER_CHUNK));
  const rowsPerChunk = Math.ceil(rows / wanted);
  return { rows, channels, channelLanes, rowLanes, chunks: Math.ceil(rows / rowsPerChunk), rowsPerChunk };
}

const rowsAndChannels = (x: tf.TensorInfo) => {
  const channels = x.shape[x.shape.length - 1]!;
  return { rows: tf.util.sizeFromShape(x.shape) / channels, channels };
};

const STORAGE = (binding: number, name: string, write = false) =>
  `@group(0) @binding(${binding}) var<storage, ${write ? 'read_write' : 'read'}> ${name} : array<f32>;`;

/** Merges two (count, mean, M2) summaries of a channel, as Chan et al. do. */
const MERGE = `
fn merge(a : vec3<f32>, b : vec3<f32>) -> vec3<f32> {
  let n = a.x + b.x;
  if (n == 0.0) { return a; }
  let delta = b.y - a.y;
  return vec3<f32>(n, a.y + delta * b.x / n, a.z + b.z + delta * delta * a.x * b.x / n);
}`;

const REDUCTION_UNIFORMS = 'struct Uniforms { rows : u32, channels : u32, rowsPerChunk : u32, epsilon : f32, }';

const reductionUniforms = (layout: ReductionLayout, epsilon = 0) => [
  { u32: layout.rows },
  { u32: layout.channels },
  { u32: layout.rowsPerChunk },
  { f32: epsilon },
];

const reductionWorkgroups = (layout: ReductionLayout): [number, number, number] => [
  Math.ceil(layout.channels / layout.channelLanes),
  layout.chunks,
  1,
];

/** A per-channel summary of `width` values: how threads start it, fold a row in, and combine two. */
interface Summary {
  width: 2 | 3;
  /** WGSL run once per channel before the loop over the rows (may declare lets). */
  setup: string;
  /** WGSL folding row element `i` into `summary`. */
  fold: string;
  combine: (a: string, b: string) => string;
  /** Extra WGSL functions the summary uses. */
  functions?: string;
}

/**
 * A reduction over the rows of each channel: each thread folds every rowLanes-th row of its chunk into a summary, a
 * tree over the row lanes combines them, and lane 0 writes either the final outputs (`finalWrite`, with the total in
 * `total`) or, when the rows are split into chunks, the summary's values to `partial` ([chunks, width, C]).
 */
function reductionProgram(
  name: string,
  layout: ReductionLayout,
  summary: Summary,
  declarations: (final: boolean) => string[],
  finalWrite: string,
): GpuProgram {
  const final = layout.chunks === 1;
  const { width } = summary;
  const components = ['x', 'y', 'z'].slice(0, width);
  const partialWrite = [
    `let base = wid.y * ${width}u * u.channels + c;`,
    ...components.map((component, k) => `partial[base + ${k}u * u.channels] = total.${component};`),
  ].join('\n    ');
  const bindings = declarations(final);
  return {
    key: `${name}_${layout.channelLanes}_${final}`,
    name,
    source: () => `
${bindings.join('\n')}
${REDUCTION_UNIFORMS}
@group(0) @binding(${bindings.length}) var<uniform> u : Uniforms;
${summary.functions ?? ''}
var<workgroup> values : array<vec${width}<f32>, ${REDUCTION_THREADS}>;
@compute @workgroup_size(${layout.channelLanes}, ${layout.rowLanes}, 1)
fn main(@builtin(local_invocation_id) lid : vec3<u32>, @builtin(workgroup_id) wid : vec3<u32>) {
  let c = wid.x * ${layout.channelLanes}u + lid.x;
  let slot = lid.y * ${layout.channelLanes}u + lid.x;
  let first = wid.y * u.rowsPerChunk;
  let last = min(u.rows, first + u.rowsPerChunk);
  var summary = vec${width}<f32>(0.0);
  if (c < u.channels) {
    ${summary.setup}
    for (var r = first + lid.y; r < last; r = r + ${layout.rowLanes}u) {
      let i = r * u.channels + c;
      ${summary.fold}
    }
  }
  values[slot] = summary;
  workgroupBarrier();
  for (var half = ${layout.rowLanes / 2}u; half > 0u; half = half / 2u) {
    if (lid.y < half) {
      values[slot] = ${summary.combine('values[slot]', `values[slot + half * ${layout.channelLanes}u]`)};
    }
    workgroupBarrier();
  }
  if (lid.y == 0u && c < u.channels) {
    let total = values[slot];
    ${final ? finalWrite : partialWrite}
  }
}`,
  };
}

/** Combines the chunks' summaries ([chunks, width, C]) per channel and writes the outputs as `finalWrite` does. */
function chunkMergeProgram(name: string, summary: Summary, outputs: string[], finalWrite: string): GpuProgram {
  const { width } = summary;
  const components = Array.from({ length: width }, (_, k) => `partial[base + ${k}u * u.channels]`);
  return {
    key: name,
    name,
    source: () => `
${STORAGE(0, 'partial')}
${outputs.map((output, i) => STORAGE(i + 1, output, true)).join('\n')}
struct Uniforms { channels : u32, chunks : u32, }
@group(0) @binding(${outputs.length + 1}) var<uniform> u : Uniforms;
${summary.functions ?? ''}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid : vec3<u32>) {
  let c = gid.x;
  if (c >= u.channels) { return; }
  var total = vec${width}<f32>(0.0);
  for (var k = 0u; k < u.chunks; k = k + 1u) {
    let base = k * ${width}u * u.channels + c;
    total = ${summary.combine('total', `vec${width}<f32>(${components.join(', ')})`)};
  }
  ${finalWrite}
}`,
  };
}

/** Count, mean and M2 of x, by Welford's update per thread and Chan's merge across threads and chunks. */
const MOMENTS: Summary = {
  width: 3,
  setup: '',
  fold: `let v = x[i];
      summary.x = summary.x + 1.0;
      let d = v - summary.y;
      summary.y = summary.y + d / summary.x;
      summary.z = summary.z + d * (v - summary.y);`,
  combine: (a, b) => `merge(${a}, ${b})`,
  functions: MERGE,
};
const MOMENTS_WRITE = 'statistics[c] = total.y;\n    statistics[u.channels + c] = total.z / total.x;';

/** μ and σ² per channel ([2, C]), or with chunks each chunk's (count, mean, M2) ([chunks, 3, C]). */
const momentsProgram = (layout: ReductionLayout) =>
  reductionProgram('BatchNormMoments', layout, MOMENTS, (final) => [STORAGE(0, 'x'), STORAGE(1, final ? 'statistics' : 'partial', true)], MOMENTS_WRITE);

/** Merges the chunks' (count, mean, M2) into μ and σ² ([2, C]). */
const MOMENTS_MERGE = chunkMergeProgram('BatchNormMomentsMerge', MOMENTS, ['statistics'], MOMENTS_WRITE);

/**
 * A shader with one thread per element of an NHWC activation: `body` sees the element's `index`, its channel `c`
 * and the channel's `inverseStd` = 1/√(σ² + ε) from the bound `statistics`.
 */
function perElementProgram(key: string, name: string, bindings: string[], extraUniforms: string, body: string): GpuProgram {
  return {
    key,
    name,
    source: () => `
${bindings.join('\n')}
struct Uniforms { size : u32, channels : u32, epsilon : f32, ${extraUniforms} }
@group(0) @binding(${bindings.length}) var<uniform> u : Uniforms;
@compute @workgroup_size(${ELEMENTWISE_WORKGROUP})
fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  let index = u32(${flatIndex(ELEMENTWISE_WORKGROUP)});
  if (index >= u.size) { return; }
  let c = index % u.channels;
  let inverseStd = inverseSqrt(statistics[u.channels + c] + u.epsilon);
  ${body}
}`,
  };
}

/** y = (x − μ)·γ/√(σ² + ε) + β, then max(y, 0) when fused with a ReLU. */
const normalizeProgram = (relu: boolean) =>
  perElementProgram(
    `bnNormalize_${relu}`,
    'BatchNormNormalize',
    [STORAGE(0, 'x'), STORAGE(1, 'statistics'), STORAGE(2, 'gamma'), STORAGE(3, 'beta'), STORAGE(4, 'y', true)],
    '',
    `let value = (x[index] - statistics[c]) * (gamma[c] * inverseStd) + beta[c];
  y[index] = ${relu ? 'max(value, 0.0)' : 'value'};`,
  );

/** dz: dy, masked by the fused ReLU's zeros. */
const upstream = (relu: boolean, index: string) => (relu ? `select(0.0, dy[${index}], y[${index}] > 0.0)` : `dy[${index}]`);

/** The gradient's inputs as bindings: dy, x, and y when a ReLU is fused. */
const gradientInputs = (relu: boolean) => [STORAGE(0, 'dy'), STORAGE(1, 'x'), ...(relu ? [STORAGE(2, 'y')] : [])];

/** Σdz and Σdz·x̂ per channel (x̂ from the forward pass's statistics), added plainly across threads and chunks. */
const gradientSums = (relu: boolean): Summary => ({
  width: 2,
  setup: `let mean = statistics[c];
    let inverseStd = inverseSqrt(statistics[u.channels + c] + u.epsilon);`,
  fold: `let dz = ${upstream(relu, 'i')};
      summary = summary + vec2<f32>(dz, dz * (x[i] - mean) * inverseStd);`,
  combine: (a, b) => `${a} + ${b}`,
});
const GRADIENT_SUMS_WRITE = 'dbeta[c] = total.x;\n    dgamma[c] = total.y;';

/** dβ and dγ ([C] each), or with chunks each chunk's two sums ([chunks, 2, C]). */
function gradientSumsProgram(layout: ReductionLayout, relu: boolean): GpuProgram {
  const next = relu ? 3 : 2;
  const declarations = (final: boolean) => [
    ...gradientInputs(relu),
    STORAGE(next, 'statistics'),
    ...(final ? [STORAGE(next + 1, 'dgamma', true), STORAGE(next + 2, 'dbeta', true)] : [STORAGE(next + 1, 'partial', true)]),
  ];
  return reductionProgram(`BatchNormGradientSums${relu ? 'Relu' : ''}`, layout, gradientSums(relu), declarations, GRADIENT_SUMS_WRITE);
}

/** Adds the chunks' sums into dγ and dβ. */
const GRADIENT_SUMS_MERGE = chunkMergeProgram('BatchNormGradientSumsMerge', gradientSums(false), ['dgamma', 'dbeta'], GRADIENT_SUMS_WRITE);

/** dx = γ/σ · (dz − dβ/M − x̂ · dγ/M), with σ = √(σ² + ε). */
function inputGradientProgram(relu: boolean): GpuProgram {
  const next = relu ? 3 : 2;
  const bindings = [
    ...gradientInputs(relu),
    STORAGE(next, 'statistics'),
    STORAGE(next + 1, 'gamma'),
    STORAGE(next + 2, 'dgamma'),
    STORAGE(next + 3, 'dbeta'),
    STORAGE(next + 4, 'dx', true),
  ];
  return perElementProgram(
    `bnInputGradient_${relu}`,
    'BatchNormInputGradient',
    bindings,
    'count : f32,',
    `let normalised = (x[index] - statistics[c]) * inverseStd;
  let dz = ${upstream(relu, 'index')};
  dx[index] = gamma[c] * inverseStd * (dz - dbeta[c] / u.count - normalised * dgamma[c] / u.count);`,
  );
}

/** μ' = m·μ + (1 − m)·batch μ and σ²' = m·σ² + (1 − m)·c·batch σ², written over the running values. */
const RUNNING_AVERAGES_PROGRAM: GpuProgram = {
  key: 'bnRunningAverages',
  name: 'BatchNormRunningAverages',
  source: () => `
${STORAGE(0, 'statistics')}
${STORAGE(1, 'mean', true)}
${STORAGE(2, 'variance', true)}
struct Uniforms { channels : u32, momentum : f32, correction : f32, }
@group(0) @binding(3) var<uniform> u : Uniforms;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid : vec3<u32>) {
  let c = gid.x;
  if (c >= u.channels) { return; }
  mean[c] = u.momentum * mean[c] + (1.0 - u.momentum) * statistics[c];
  variance[c] = u.momentum * variance[c] + (1.0 - u.momentum) * u.correction * statistics[u.channels + c];
}`,
};

const read = (tensor: tf.TensorInfo): GpuBinding => ({ tensor });
const written = (tensor: tf.TensorInfo): GpuBinding => ({ tensor, write: true });

/** Runs a reduction that may need chunks: the final form in one pass, else partials then `merge`. */
function reduce(
  backend: tf.KernelBackend,
  layout: ReductionLayout,
  program: GpuProgram,
  inputs: GpuBinding[],
  outputs: tf.TensorInfo[],
  partialRows: number,
  merge: GpuProgram,
  epsilon: number,
): void {
  if (layout.chunks === 1) {
    dispatch(backend, program, [...inputs, ...outputs.map(written)], reductionUniforms(layout, epsilon), reductionWorkgroups(layout));
    return;
  }
  const partial = outputTensor(backend, [layout.chunks, partialRows, layout.channels]);
  try {
    dispatch(backend, program, [...inputs, written(partial)], reductionUniforms(layout, epsilon), reductionWorkgroups(layout));
    const uniforms = [{ u32: layout.channels }, { u32: layout.chunks }];
    dispatch(backend, merge, [read(partial), ...outputs.map(written)], uniforms, [Math.ceil(layout.channels / 64), 1, 1]);
  } finally {
    backend.disposeData(partial.dataId);
  }
}

/** BATCH_NORM_FORWARD: {x, scale, offset} → [y, statistics ([2, C]: μ, σ²)]. */
export const webgpuBatchNormForward: tf.KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = anyBackend as tf.KernelBackend;
  const { epsilon, relu } = attrs as unknown as BatchNormAttrs;
  const x = inputOf(inputs, 'x');
  const { rows, channels } = rowsAndChannels(x);
  const layout = reductionLayout(rows, channels);
  const statistics = outputTensor(backend, [2, channels]);
  reduce(backend, layout, momentsProgram(layout), [read(x)], [statistics], 3, MOMENTS_MERGE, 0);
  const y = outputTensor(backend, x.shape);
  const size = rows * channels;
  dispatch(
    backend,
    normalizeProgram(relu),
    [read(x), read(statistics), read(inputOf(inputs, 'scale')), read(inputOf(inputs, 'offset')), written(y)],
    [{ u32: size }, { u32: channels }, { f32: epsilon }],
    flatWorkgroups(size, ELEMENTWISE_WORKGROUP),
  );
  return [y, statistics];
};

/** BATCH_NORM_GRADIENT: {dy, x, statistics, scale} (+ y when relu) → [dx, dγ, dβ]. */
export const webgpuBatchNormGradient: tf.KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = anyBackend as tf.KernelBackend;
  const { epsilon, relu } = attrs as unknown as BatchNormAttrs;
  const x = inputOf(inputs, 'x');
  const { rows, channels } = rowsAndChannels(x);
  const layout = reductionLayout(rows, channels);
  const statistics = inputOf(inputs, 'statistics');
  const upstreamInputs = [read(inputOf(inputs, 'dy')), read(x), ...(relu ? [read(inputOf(inputs, 'y'))] : [])];
  const dgamma = outputTensor(backend, [channels]);
  const dbeta = outputTensor(backend, [channels]);
  reduce(backend, layout, gradientSumsProgram(layout, relu), [...upstreamInputs, read(statistics)], [dgamma, dbeta], 2, GRADIENT_SUMS_MERGE, epsilon);
  const dx = outputTensor(backend, x.shape);
  const size = rows * channels;
  dispatch(
    backend,
    inputGradientProgram(relu),
    [...upstreamInputs, read(statistics), read(inputOf(inputs, 'scale')), read(dgamma), read(dbeta), written(dx)],
    [{ u32: size }, { u32: channels }, { f32: epsilon }, { f32: rows }],
    flatWorkgroups(size, ELEMENTWISE_WORKGROUP),
  );
  return [dx, dgamma, dbeta];
};

/** RUNNING_AVERAGES: {mean, variance, statistics} → [mean, variance], updated in place. */
export const webgpuRunningAverages: tf.KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = anyBackend as tf.KernelBackend;
  const { momentum, varianceCorrection } = attrs as unknown as RunningAverageAttrs;
  const mean = inputOf(inputs, 'mean');
  const variance = inputOf(inputs, 'variance');
  const channels = mean.shape[0]!;
  dispatch(
    backend,
    RUNNING_AVERAGES_PROGRAM,
    [read(inputOf(inputs, 'statistics')), written(mean), written(variance)],
    [{ u32: channels }, { f32: momentum }, { f32: varianceCorrection }],
    [Math.ceil(channels / 64), 1, 1],
  );
  return [sameTensor(backend, mean), sameTensor(backend, variance)];
};
