import * as tf from '@tensorflow/tfjs';
import type { KernelScope } from './kernelSupport';

/**
 * A convolution's weight gradient, and its forward pass, written as other kernels, for any backend: the wasm
 * training kernels and the WebGPU strategies (webgpuWeightGradient.ts, webgpuForwardConv.ts) build on these plans,
 * so that the shape logic (paddings, strides that leave rows over) is written and tested once.
 */

export type Info = tf.TensorInfo;
export type Shape4 = [number, number, number, number];

/** Per-side padding of the two spatial axes; a negative side crops the input instead. */
export interface Pads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export function shape4(info: Info): Shape4 {
  const [a, b, c, d] = info.shape;
  if (info.shape.length !== 4 || a === undefined || b === undefined || c === undefined || d === undefined) {
    throw new Error(`Expected a rank-4 tensor, got shape [${info.shape.join(', ')}].`);
  }
  return [a, b, c, d];
}

export function checkChannelsLast(dataFormat: string): void {
  if (dataFormat !== 'NHWC') throw new Error(`The training kernels support only NHWC data, not ${dataFormat}.`);
}

/** The forward convolution whose weight gradient is asked for (NHWC, no dilation). */
export function weightGradientConvInfo(x: Info, attrs: tf.Conv2DBackpropFilterAttrs): tf.backend_util.Conv2DInfo {
  checkChannelsLast(attrs.dataFormat);
  return tf.backend_util.computeConv2DInfo(shape4(x), attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
}

/** A 1×1 stride-1 convolution without padding: its weight gradient is one product over every pixel. */
export function isPointwise(info: tf.backend_util.Conv2DInfo): boolean {
  const { filterHeight, filterWidth, strideHeight, strideWidth, padInfo } = info;
  return (
    filterHeight === 1 &&
    filterWidth === 1 &&
    strideHeight === 1 &&
    strideWidth === 1 &&
    padInfo.top + padInfo.bottom + padInfo.left + padInfo.right === 0
  );
}

/**
 * A stride-1 forward convolution whose padding may be negative on any side: backends take only non-negative pads,
 * and a negative pad means rows or columns that no output reaches, so they are cropped from the input instead.
 */
export function convolve(scope: KernelScope, x: Info, filter: Info, pads: Pads, dilations: [number, number], final: boolean): Info {
  const [n, h, w, c] = shape4(x);
  const cropTop = Math.max(0, -pads.top);
  const cropBottom = Math.max(0, -pads.bottom);
  const cropLeft = Math.max(0, -pads.left);
  const cropRight = Math.max(0, -pads.right);
  const input =
    cropTop + cropBottom + cropLeft + cropRight === 0
      ? x
      : scope.run('Slice', { x }, { begin: [0, cropTop, cropLeft, 0], size: [n, h - cropTop - cropBottom, w - cropLeft - cropRight, c] });
  const attrs: tf.NamedAttrMap = {
    strides: [1, 1],
    pad: [
      [0, 0],
      [Math.max(0, pads.top), Math.max(0, pads.bottom)],
      [Math.max(0, pads.left), Math.max(0, pads.right)],
      [0, 0],
    ],
    dataFormat: 'NHWC',
    dilations,
  };
  const inputs = { x: input, filter };
  return final ? scope.result('Conv2D', inputs, attrs) : scope.run('Conv2D', inputs, attrs);
}

/**
 * dW[a, b, ci, co] = Σ x[n, i·s + a − top, j·s + b − left, ci] · dy[n, i, j, co]: a forward convolution of x
 * seen as ci images of n channels ([Cin, H, W, N]) with dy seen as an outH × outW filter ([outH, outW, N, Cout]),
 * dilated by the stride. Its bottom/right padding is what makes the output exactly kh × kw; where outH × stride does
 * not reach the input's last rows, that padding is negative and those rows are cropped.
 */
export function forwardConvWeightGradient(scope: KernelScope, x: Info, dy: Info, info: tf.backend_util.Conv2DInfo): Info {
  const [, h, w] = shape4(x);
  const [, outH, outW] = shape4(dy);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo } = info;
  const images = scope.transpose(x, [3, 1, 2, 0]); // Cin × H × W × N
  const filter = scope.transpose(dy, [1, 2, 0, 3]); // outH × outW × N × Cout
  const pads: Pads = {
    top: padInfo.top,
    bottom: sh * (outH - 1) + kh - h - padInfo.top,
    left: padInfo.left,
    right: sw * (outW - 1) + kw - w - padInfo.left,
  };
  const gradient = convolve(scope, images, filter, pads, [sh, sw], false); // Cin × kh × kw × Cout
  return scope.result('Transpose', { x: gradient }, { perm: [1, 2, 0, 3] });
}

/**
 * Every input patch a filter position sees, one row per output pixel: [N·outH·outW, kh·kw·Cin], columns in the
 * filter's own (kh, kw, Cin) order, zeros where the patch reaches into the padding.
 */
export type Unfold = (scope: KernelScope, x: Info, info: tf.backend_util.Conv2DInfo) => Info;

/**
 * dW = patchesᵀ · dy over all N·outH·outW output pixels, reshaped to [kh, kw, Cin, Cout]. A 1×1 stride-1 layer's
 * patches are its input itself, so it is one product and `unfold` is not called.
 */
export function im2colWeightGradient(scope: KernelScope, x: Info, dy: Info, info: tf.backend_util.Conv2DInfo, unfold: Unfold): Info {
  const { filterHeight: kh, filterWidth: kw, inChannels: cin, outChannels: cout, batchSize: n, outHeight, outWidth } = info;
  const rows = n * outHeight * outWidth;
  const patches = isPointwise(info) ? x : unfold(scope, x, info);
  const product = scope.run(
    'BatchMatMul',
    { a: scope.reshape(patches, [1, rows, kh * kw * cin]), b: scope.reshape(dy, [1, rows, cout]) },
    { transposeA: true, transposeB: false },
  );
  return scope.result('Reshape', { x: product }, { shape: [kh, kw, cin, cout] });
}

/** What FusedConv2D applies to the convolution's output: fused into the product, so it costs no extra pass. */
export interface Epilogue {
  bias?: Info;
  preluActivationWeights?: Info;
  activation: tf.fused.Activation;
  leakyreluAlpha?: number;
}

/**
 * An epilogue tensor the product can take: one value per output channel (or one in all). Per-pixel weights would
 * have to broadcast over the batch, which the product has folded into its rows.
 */
export function fitsProduct(info: Info | undefined): boolean {
  return info === undefined || info.shape.slice(0, -1).every((size) => size === 1);
}

/**
 * y = patches · filter over all N·outH·outW output pixels ([rows, kh·kw·Cin] × [kh·kw·Cin, Cout]), reshaped to
 * [N, outH, outW, Cout]; with an epilogue, bias and activation are applied as the product is written. One product for
 * the whole batch, where tfjs's own im2col path multiplies image by image. A 1×1 stride-1 layer's patches are its
 * input itself. Epilogue tensors must pass `fitsProduct`.
 */
export function im2colForwardConv(
  scope: KernelScope,
  x: Info,
  filter: Info,
  info: tf.backend_util.Conv2DInfo,
  unfold: Unfold,
  epilogue?: Epilogue,
): Info {
  const { filterHeight: kh, filterWidth: kw, inChannels: cin, outChannels: cout, batchSize: n, outHeight, outWidth } = info;
  const depth = kh * kw * cin;
  const patches = isPointwise(info) ? x : unfold(scope, x, info);
  const inputs: tf.NamedTensorInfoMap = {
    a: scope.reshape(patches, [1, n * outHeight * outWidth, depth]),
    b: scope.reshape(filter, [1, depth, cout]),
  };
  if (epilogue === undefined) {
    const product = scope.run('BatchMatMul', inputs, { transposeA: false, transposeB: false });
    return scope.result('Reshape', { x: product }, { shape: info.outShape });
  }
  const { bias, preluActivationWeights, activation, leakyreluAlpha } = epilogue;
  // Per-channel tensors as vectors, which broadcast over the product's rows whatever their rank was.
  if (bias !== undefined) inputs.bias = scope.reshape(bias, [-1]);
  if (preluActivationWeights !== undefined) inputs.preluActivationWeights = scope.reshape(preluActivationWeights, [-1]);
  const attrs: tf.NamedAttrMap = { transposeA: false, transposeB: false, activation };
  if (leakyreluAlpha !== undefined) attrs.leakyreluAlpha = leakyreluAlpha;
  const product = scope.run('_FusedMatMul', inputs, attrs);
  return scope.result('Reshape', { x: product }, { shape: info.outShape });
}
