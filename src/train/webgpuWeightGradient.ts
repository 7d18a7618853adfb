import * as tf from '@tensorflow/tfjs';
import { type Info, KernelScope, forwardConvWeightGradient, im2colWeightGradient, weightGradientConvInfo } from './convGradientForms';
import { SHIPPED_WEIGHT_GRADIENT_TABLE, type WeightGradientPolicy, type WeightGradientStrategy, chooseStrategy, convShapeOf } from './convStrategy';
import { WEBGPU, unfoldOnWebGpu, webGpuBuiltIns } from './webgpuKernels';

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
  }
}

/**
 * Registers the WebGPU weight gradient under `policy`, replacing any earlier registration (so tests and the
 * benchmark switch policies by calling it again, and go back with no argument). Works before or after the backend
 * starts: tfjs looks kernels up on every call.
 */
export function registerWebGpuWeightGradient(policy: WeightGradientPolicy = { table: SHIPPED_WEIGHT_GRADIENT_TABLE }): void {
  const kernels = webGpuBuiltIns(BUILT_INS);
  tf.unregisterKernel(KERNEL, WEBGPU);
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: WEBGPU,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs;
      if (x === undefined || dy === undefined) throw new Error(`${KERNEL} needs x and dy.`);
      const gradientAttrs = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      const strategy = chooseStrategy(policy, convShapeOf(x.shape, gradientAttrs.filterShape, gradientAttrs));
      const scope = new KernelScope(backend as tf.KernelBackend, WEBGPU, kernels);
      try {
        return weightGradient(strategy, scope, x, dy, gradientAttrs);
      } finally {
        scope.dispose();
      }
    },
  });
}
