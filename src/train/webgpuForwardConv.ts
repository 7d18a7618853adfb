import * as tf from '@tensorflow/tfjs';
import { type Epilogue, fitsProduct, im2colForwardConv, shape4 } from './convGradientForms';
import { type Info, KernelScope, originalKernels } from './kernelSupport';
import { type ForwardPolicy, type ForwardStrategy, chooseStrategy, convShapeOf } from './convStrategy';
import { WEBGPU, unfoldOnWebGpu } from './webgpuKernels';

/**
 * The forward convolution (FusedConv2D, which tfjs-layers calls, and Conv2D) for tfjs's WebGPU backend, computed per
 * layer by the strategy the policy picks (convStrategy.ts) from the backend's own kernels. Only the forward value
 * changes: tfjs differentiates both ops through Conv2DBackpropInput and Conv2DBackpropFilter, never through these
 * kernels, and FusedConv2D's gradient reads the output this kernel returns.
 */

export const FORWARD_KERNELS = ['FusedConv2D', 'Conv2D'] as const;
export type ForwardKernel = (typeof FORWARD_KERNELS)[number];

/** The kernels the strategies are made of, the original convolutions among them. */
const BUILT_INS = [...FORWARD_KERNELS, 'BatchMatMul', '_FusedMatMul', 'Reshape'] as const;

/** What im2col's patches and one product cover: channels-last, no dilation, an epilogue per channel. */
function im2colCovers(attrs: tf.FusedConv2DAttrs, epilogue: Epilogue | undefined): boolean {
  const dilations = typeof attrs.dilations === 'number' ? [attrs.dilations] : (attrs.dilations ?? [1]);
  const perChannel = fitsProduct(epilogue?.bias) && fitsProduct(epilogue?.preluActivationWeights);
  return attrs.dataFormat === 'NHWC' && dilations.every((d) => d === 1) && perChannel;
}

function forwardConv(
  kernel: ForwardKernel,
  strategy: ForwardStrategy,
  scope: KernelScope,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.FusedConv2DAttrs,
): Info {
  const { x, filter, bias, preluActivationWeights } = inputs;
  if (x === undefined || filter === undefined) throw new Error(`${kernel} needs x and filter.`);
  const epilogue: Epilogue | undefined =
    kernel === 'FusedConv2D' ? { bias, preluActivationWeights, activation: attrs.activation, leakyreluAlpha: attrs.leakyreluAlpha } : undefined;
  if (strategy === 'builtin' || !im2colCovers(attrs, epilogue)) return scope.result(kernel, inputs, attrs as unknown as tf.NamedAttrMap);
  const info = tf.backend_util.computeConv2DInfo(shape4(x), shape4(filter), attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  return im2colForwardConv(scope, x, filter, info, unfoldOnWebGpu, epilogue);
}

/** One of the WebGPU forward convolutions under `policy`. */
export function webgpuForwardConv(kernel: ForwardKernel, policy: ForwardPolicy): tf.KernelFunc {
  const builtIns = originalKernels(BUILT_INS, WEBGPU);
  return ({ inputs, backend, attrs }) => {
    const convAttrs = attrs as unknown as tf.FusedConv2DAttrs;
    const { x, filter } = inputs;
    const strategy = x && filter ? chooseStrategy(policy, convShapeOf(x.shape, filter.shape, convAttrs)) : 'builtin';
    const scope = new KernelScope(backend as tf.KernelBackend, WEBGPU, builtIns);
    try {
      return forwardConv(kernel, strategy, scope, inputs, convAttrs);
    } finally {
      scope.dispose();
    }
  };
}
