import * as tf from '@tensorflow/tfjs';
import { forwardConvWeightGradient, im2colWeightGradient, weightGradientConvInfo } from './convGradientForms';
import { type WeightGradientPolicy, type WeightGradientStrategy, chooseStrategy, convShapeOf } from './convStrategy';
import { type Info, KernelScope, inputOf, originalKernels } from './kernelSupport';
import { gemmWeightGradient } from './webgpuConvGemm';
import { WEBGPU, unfoldOnWebGpu } from './webgpuKernels';

/**
 * Conv2DBackpropFilter for tfjs's WebGPU backend, computed per layer by the strategy the policy picks
 * (convStrategy.ts), each one made of the backend's own kernels: nothing is read back to the CPU.
 * tfjs-layers' convolutions (FusedConv2D forward) take their weight gradient from this kernel too.
 */

const KERNEL = 'Conv2DBackpropFilter';

/** The kernels the strategies are made of, the original weight gradient among them. */
const BUILT_INS = [KERNEL, 'BatchMatMul', 'Conv2D', 'Reshape', 'Slice', 'Transpose'] as const;

function weightGradient(strategy: WeightGradientStrategy, scope: KernelScope, x: Info, dy: Info, attrs: tf.Conv2DBackpropFilterAttrs): Info {
  switch (strategy) {
    case 'builtin':
      return scope.result(KERNEL, { x, dy }, attrs as unknown as tf.NamedAttrMap);
    case 'forward-conv':
      return forwardConvWeightGradient(scope, x, dy, weightGradientConvInfo(x, attrs));
    case 'im2col':
      return im2colWeightGradient(scope, x, dy, weightGradientConvInfo(x, attrs), unfoldOnWebGpu);
    case 'gemm':
      return gemmWeightGradient(scope.backend, x, dy, weightGradientConvInfo(x, attrs));
  }
}

/** The WebGPU weight gradient under `policy`. */
export function webgpuWeightGradient(policy: WeightGradientPolicy): tf.KernelFunc {
  const kernels = originalKernels(BUILT_INS, WEBGPU);
  return ({ inputs, backend, attrs }) => {
    const x = inputOf(inputs, 'x');
    const dy = inputOf(inputs, 'dy');
    const gradientAttrs = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const strategy = chooseStrategy(policy, convShapeOf(x.shape, gradientAttrs.filterShape, gradientAttrs));
    const scope = new KernelScope(backend as tf.KernelBackend, WEBGPU, kernels);
    try {
      return weightGradient(strategy, scope, x, dy, gradientAttrs);
    } finally {
      scope.dispose();
    }
  };
}
