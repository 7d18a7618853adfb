import * as tf from '@tensorflow/tfjs';
import { type InputGradientPolicy, chooseStrategy, convShapeOf } from './convStrategy';
import { inputOf, originalKernels } from './kernelSupport';
import { WEBGPU } from './webgpuKernels';

/**
 * Conv2DBackpropInput on WebGPU by the strategy the policy picks: tfjs's direct kernel (one thread per input
 * element, looping over the filter and the output channels) or its matrix-product kernel, which tfjs selects with
 * the global flag WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE (true by default; PR tfjs#6790 found the direct one faster under
 * 32 channels). The flag is set around the call only, so the choice is per layer.
 */

const KERNEL = 'Conv2DBackpropInput';
const NAIVE_FLAG = 'WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE';

export function webgpuInputGradient(policy: InputGradientPolicy): tf.KernelFunc {
  const original = originalKernels([KERNEL], WEBGPU).get(KERNEL)!;
  return (args) => {
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const filter = inputOf(args.inputs, 'filter');
    const strategy = chooseStrategy(policy, convShapeOf(attrs.inputShape, filter.shape, attrs));
    const flags = tf.env();
    const naive = flags.getBool(NAIVE_FLAG);
    flags.set(NAIVE_FLAG, strategy === 'builtin');
    try {
      return original(args);
    } finally {
      flags.set(NAIVE_FLAG, naive);
    }
  };
}
