import * as tf from '@tensorflow/tfjs';
import { type WebGPUBackend, type WebGPUProgram, webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import {
  type Info,
  KernelScope,
  type Unfold,
  forwardConvWeightGradient,
  im2colWeightGradient,
  weightGradientConvInfo,
} from './convGradientForms';
import { SHIPPED_POLICY, type WeightGradientPolicy, type WeightGradientStrategy, chooseStrategy, convShapeOf } from './weightGradientStrategy';

/**
 * Conv2DBackpropFilter for tfjs's WebGPU backend, computed per layer by the strategy the policy picks
 * (weightGradientStrategy.ts), each one made of the backend's own kernels: nothing is read back to the CPU.
 * tfjs-layers' convolutions (FusedConv2D forward) take their weight gradient from this kernel too.
 */

const WEBGPU = 'webgpu';
const KERNEL = 'Conv2DBackpropFilter';

/** Writes [N·outH·outW, kh·kw·Cin] patches of an NHWC input, one output element per thread. */
class UnfoldProgram implements WebGPUProgram {
  readonly variableNames = ['x'];
  readonly uniforms = 'pads : vec2<i32>, strides : vec2<i32>, outWidth : i32, outPixels : i32, patchRow : i32, inChannels : i32,';
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly size = true;
  readonly shaderKey = 'weightGradientUnfold';
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];

  constructor(readonly outputShape: [number, number]) {
    this.dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let coords = getCoordsFromIndex(index);
          let batch = coords[0] / uniforms.outPixels;
          let pixel = coords[0] % uniforms.outPixels;
          let xRow = (pixel / uniforms.outWidth) * uniforms.strides[0] - uniforms.pads[0] + coords[1] / uniforms.patchRow;
          let xCol = (pixel % uniforms.outWidth) * uniforms.strides[1] - uniforms.pads[1] +
              (coords[1] % uniforms.patchRow) / uniforms.inChannels;
          var value = 0.0;
          if (xRow >= 0 && xRow < uniforms.xShape[1] && xCol >= 0 && xCol < uniforms.xShape[2]) {
            value = getX(batch, xRow, xCol, coords[1] % uniforms.inChannels);
          }
          setOutputAtIndex(index, value);
        }
      }
    `;
  }
}

const unfoldOnWebGpu: Unfold = (scope, x, info) => {
  const { batchSize, outHeight, outWidth, filterHeight, filterWidth, inChannels, strideHeight, strideWidth, padInfo } = info;
  const program = new UnfoldProgram([batchSize * outHeight * outWidth, filterHeight * filterWidth * inChannels]);
  const uniforms = [
    { type: 'int32', data: [padInfo.top, padInfo.left] },
    { type: 'int32', data: [strideHeight, strideWidth] },
    { type: 'int32', data: [outWidth] },
    { type: 'int32', data: [outHeight * outWidth] },
    { type: 'int32', data: [filterWidth * inChannels] },
    { type: 'int32', data: [inChannels] },
  ];
  return scope.keep((scope.backend as WebGPUBackend).runWebGPUProgram(program, [x], 'float32', uniforms));
};

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
 * The built-in kernels, read from the registry the first time: a later call finds its own kernel registered under
 * the name and must still reach tfjs's.
 */
let builtIns: ReadonlyMap<string, tf.KernelFunc> | undefined;

function webGpuBuiltIns(): ReadonlyMap<string, tf.KernelFunc> {
  if (builtIns !== undefined) return builtIns;
  const found = new Map<string, tf.KernelFunc>();
  for (const name of BUILT_INS) {
    const config = tf.getKernel(name, WEBGPU);
    if (config === undefined) throw new Error(`tfjs-backend-webgpu has no ${name} kernel to build the weight gradient on.`);
    found.set(name, config.kernelFunc);
  }
  builtIns = found;
  return found;
}

/**
 * Registers the WebGPU weight gradient under `policy`, replacing any earlier registration (so tests and the
 * benchmark switch policies by calling it again, and go back with no argument). Works before or after the backend
 * starts: tfjs looks kernels up on every call.
 */
export function registerWebGpuWeightGradient(policy: WeightGradientPolicy = SHIPPED_POLICY): void {
  const kernels = webGpuBuiltIns();
  tf.unregisterKernel(KERNEL, WEBGPU);
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: WEBGPU,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs;
      if (x === undefined || dy === undefined) throw new Error(`${KERNEL} needs x and dy.`);
      const gradientAttrs = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      const strategy = chooseStrategy(policy, convShapeOf(x.shape, gradientAttrs));
      const scope = new KernelScope(backend as tf.KernelBackend, WEBGPU, kernels);
      try {
        return weightGradient(strategy, scope, x, dy, gradientAttrs);
      } finally {
        scope.dispose();
      }
    },
  });
}
