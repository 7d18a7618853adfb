import * as tf from '@tensorflow/tfjs';
import { type GpuProgram, dispatch, flatWorkgroups, outputTensor } from './webgpuDispatch';

/**
 * A convolution's weight gradient as an implicit GEMM: dW[k, co] = Σ_r P[r, k] · dy[r, co] over the R = N·outH·outW
 * output pixels, where P[r, k] is the input value filter position k = (a, b, ci) sees at pixel r (0 in the padding),
 * read straight from x: no unfolded copy. Each workgroup computes a tile of dW (up to 64 × 64, 4 × 4 per thread)
 * over one chunk of the rows, staging 16 rows of P and dy at a time in workgroup memory. The rows are split into as
 * many chunks as it takes to give a large GPU a few hundred workgroups; a second shader adds the chunks' tiles.
 * tfjs's own kernel runs one thread per filter element, serial over all R rows: 3,136 threads on the 96×96 stem at
 * batch 64, each looping 147,456 times.
 */

const ROWS_PER_STEP = 16;
/** Each thread sums a 4 × 4 block of dW. */
const MICRO_TILE = 4;

/** Enough workgroups to keep a large GPU busy (132 multiprocessors on an H200), and no chunk shorter than this. */
const TARGET_WORKGROUPS = 256;
const MIN_ROWS_PER_CHUNK = 256;

const tileFor = (extent: number) => (extent >= 64 ? 64 : extent >= 32 ? 32 : 16);

export interface GemmLayout {
  depth: number;
  rows: number;
  tileK: number;
  tileC: number;
  chunks: number;
  rowsPerChunk: number;
}

/** How the product [depth × outChannels] over `rows` rows is cut into workgroups. */
export function gemmLayout(rows: number, depth: number, outChannels: number): GemmLayout {
  const tileK = tileFor(depth);
  const tileC = tileFor(outChannels);
  const tiles = Math.ceil(depth / tileK) * Math.ceil(outChannels / tileC);
  const wanted = (globalThis as unknown as {gemmSingle?: boolean}).gemmSingle ? 1 : Math.max(1, Math.min(Math.round(TARGET_WORKGROUPS / tiles), Math.ceil(rows / MIN_ROWS_PER_CHUNK)));
  const rowsPerChunk = Math.ceil(rows / wanted / ROWS_PER_STEP) * ROWS_PER_STEP;
  return { depth, rows, tileK, tileC, chunks: Math.ceil(rows / rowsPerChunk), rowsPerChunk };
}

function weightGradientProgram({ tileK, tileC }: GemmLayout): GpuProgram {
  const lanesC = tileC / MICRO_TILE;
  const lanesK = tileK / MICRO_TILE;
  const threads = lanesC * lanesK;
  return {
    key: `convGemmWeightGradient_${tileK}_${tileC}`,
    name: 'ConvGemmWeightGradient',
    source: () => `
@group(0) @binding(0) var<storage, read> x : array<f32>;
@group(0) @binding(1) var<storage, read> dy : array<f32>;
@group(0) @binding(2) var<storage, read_write> result : array<f32>;
struct Uniforms {
  inHeight : u32, inWidth : u32, inChannels : u32,
  outHeight : u32, outWidth : u32, outChannels : u32,
  filterWidth : u32, strideHeight : u32, strideWidth : u32, padTop : i32, padLeft : i32,
  rows : u32, depth : u32, rowsPerChunk : u32,
}
@group(0) @binding(3) var<uniform> u : Uniforms;
var<workgroup> patches : array<f32, ${ROWS_PER_STEP * tileK}>;
var<workgroup> grad : array<f32, ${ROWS_PER_STEP * tileC}>;

fn patchValue(r : u32, k : u32) -> f32 {
  let pixels = u.outHeight * u.outWidth;
  let n = r / pixels;
  let pixel = r % pixels;
  let ci = k % u.inChannels;
  let position = k / u.inChannels;
  let row = i32((pixel / u.outWidth) * u.strideHeight + position / u.filterWidth) - u.padTop;
  let col = i32((pixel % u.outWidth) * u.strideWidth + position % u.filterWidth) - u.padLeft;
  if (row < 0 || row >= i32(u.inHeight) || col < 0 || col >= i32(u.inWidth)) { return 0.0; }
  return x[((n * u.inHeight + u32(row)) * u.inWidth + u32(col)) * u.inChannels + ci];
}

@compute @workgroup_size(${lanesC}, ${lanesK}, 1)
fn main(@builtin(local_invocation_id) lid : vec3<u32>, @builtin(local_invocation_index) thread : u32,
        @builtin(workgroup_id) wid : vec3<u32>) {
  let firstC = wid.x * ${tileC}u;
  let firstK = wid.y * ${tileK}u;
  let first = wid.z * u.rowsPerChunk;
  let last = min(u.rows, first + u.rowsPerChunk);
  var sums0 = vec4<f32>(0.0);
  var sums1 = vec4<f32>(0.0);
  var sums2 = vec4<f32>(0.0);
  var sums3 = vec4<f32>(0.0);
  for (var step = first; step < last; step = step + ${ROWS_PER_STEP}u) {
    for (var e = thread; e < ${ROWS_PER_STEP * tileK}u; e = e + ${threads}u) {
      let r = step + e / ${tileK}u;
      let k = firstK + e % ${tileK}u;
      var value = 0.0;
      if (r < last && k < u.depth) { value = patchValue(r, k); }
      patches[e] = value;
    }
    for (var e = thread; e < ${ROWS_PER_STEP * tileC}u; e = e + ${threads}u) {
      let r = step + e / ${tileC}u;
      let c = firstC + e % ${tileC}u;
      var value = 0.0;
      if (r < last && c < u.outChannels) { value = dy[r * u.outChannels + c]; }
      grad[e] = value;
    }
    workgroupBarrier();
    for (var i = 0u; i < ${ROWS_PER_STEP}u; i = i + 1u) {
      let pk = i * ${tileK}u + lid.y * 4u;
      let gc = i * ${tileC}u + lid.x * 4u;
      let g = vec4<f32>(grad[gc], grad[gc + 1u], grad[gc + 2u], grad[gc + 3u]);
      sums0 = sums0 + patches[pk] * g;
      sums1 = sums1 + patches[pk + 1u] * g;
      sums2 = sums2 + patches[pk + 2u] * g;
      sums3 = sums3 + patches[pk + 3u] * g;
    }
    workgroupBarrier();
  }
  let k0 = firstK + lid.y * 4u;
  let c0 = firstC + lid.x * 4u;
  let base = wid.z * u.depth;
  let rows = array<vec4<f32>, 4>(sums0, sums1, sums2, sums3);
  for (var m = 0u; m < 4u; m = m + 1u) {
    for (var q = 0u; q < 4u; q = q + 1u) {
      if (k0 + m < u.depth && c0 + q < u.outChannels) {
        result[(base + k0 + m) * u.outChannels + c0 + q] = rows[m][q];
      }
    }
  }
}`,
  };
}

const SUM_WORKGROUP = 256;

/** Adds the chunks' tiles: result[i] = Σ_s partial[s·size + i]. */
const CHUNK_SUM: GpuProgram = {
  key: 'convGemmChunkSum',
  name: 'ConvGemmChunkSum',
  source: () => `
@group(0) @binding(0) var<storage, read> partial : array<f32>;
@group(0) @binding(1) var<storage, read_write> result : array<f32>;
struct Uniforms { size : u32, chunks : u32, }
@group(0) @binding(2) var<uniform> u : Uniforms;
@compute @workgroup_size(${SUM_WORKGROUP})
fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>) {
  let index = gid.x + gid.y * groups.x * ${SUM_WORKGROUP}u;
  if (index >= u.size) { return; }
  var total = 0.0;
  for (var s = 0u; s < u.chunks; s = s + 1u) { total = total + partial[s * u.size + index]; }
  result[index] = total;
}`,
};

/** dW ([kh, kw, Cin, Cout]) for NHWC x and dy, by the implicit GEMM: one dispatch, two when the rows are split. */
export function gemmWeightGradient(backend: tf.KernelBackend, x: tf.TensorInfo, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const depth = filterHeight * filterWidth * inChannels;
  const layout = gemmLayout(batchSize * outHeight * outWidth, depth, outChannels);
  const uniforms = [
    { u32: inHeight },
    { u32: inWidth },
    { u32: inChannels },
    { u32: outHeight },
    { u32: outWidth },
    { u32: outChannels },
    { u32: filterWidth },
    { u32: info.strideHeight },
    { u32: info.strideWidth },
    { i32: info.padInfo.top },
    { i32: info.padInfo.left },
    { u32: layout.rows },
    { u32: depth },
    { u32: layout.rowsPerChunk },
  ];
  const workgroups: [number, number, number] = [Math.ceil(outChannels / layout.tileC), Math.ceil(depth / layout.tileK), layout.chunks];
  const filterShape = [filterHeight, filterWidth, inChannels, outChannels];
  const result = outputTensor(backend, filterShape);
  if (layout.chunks === 1) {
    dispatch(backend, weightGradientProgram(layout), [{ tensor: x }, { tensor: dy }, { tensor: result, write: true }], uniforms, workgroups);
    return result;
  }
  const partial = outputTensor(backend, [layout.chunks, depth, outChannels]);
  try {
    dispatch(backend, weightGradientProgram(layout), [{ tensor: x }, { tensor: dy }, { tensor: partial, write: true }], uniforms, workgroups);
    const size = depth * outChannels;
    dispatch(backend, CHUNK_SUM, [{ tensor: partial }, { tensor: result, write: true }], [{ u32: size }, { u32: layout.chunks }], flatWorkgroups(size, SUM_WORKGROUP));
  } finally {
    backend.disposeData(partial.dataId);
  }
  return result;
}
