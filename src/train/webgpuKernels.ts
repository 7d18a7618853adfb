import * as tf from '@tensorflow/tfjs';
import { type WebGPUBackend, type WebGPUProgram, webgpu_util } from '@tensorflow/tfjs-backend-webgpu';
import type { Unfold } from './convGradientForms';
import { inputOf } from './kernelSupport';

/** What the app's WebGPU kernels share: the tuned convolutions' (webgpuWeightGradient.ts, webgpuForwardConv.ts) and fusedKernels.ts's. */

export const WEBGPU = 'webgpu';

/** A shader with one thread per output element, found by its flat index: subclasses name inputs and write the body. */
export abstract class PerElementProgram implements WebGPUProgram {
  abstract readonly variableNames: string[];
  abstract readonly shaderKey: string;
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly size = true;
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];

  constructor(readonly outputShape: number[]) {
    this.dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize);
  }

  abstract getUserCode(): string;
}

/** Writes [N·outH·outW, kh·kw·Cin] patches of an NHWC input. */
class UnfoldProgram extends PerElementProgram {
  readonly variableNames = ['x'];
  readonly uniforms = 'pads : vec2<i32>, strides : vec2<i32>, outWidth : i32, outPixels : i32, patchRow : i32, inChannels : i32,';
  readonly shaderKey = 'convUnfold';

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

export const unfoldOnWebGpu: Unfold = (scope, x, info) => {
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

/** ReLU's gradient on the GPU in one dispatch: dy where y > 0, else 0 (tfjs: step(y), then a multiply). */
class ReluGradientProgram extends PerElementProgram {
  readonly variableNames = ['dy', 'y'];
  readonly shaderKey = 'playgroundReluGradient';

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          setOutputAtIndex(index, select(0.0, getDyByOutputIndex(index), getYByOutputIndex(index) > 0.0));
        }
      }
    `;
  }
}

/** RELU_GRADIENT on WebGPU: {dy, y} → dy where y > 0. */
export const webgpuReluGradient: tf.KernelFunc = ({ inputs, backend }) => {
  const dy = inputOf(inputs, 'dy');
  return (backend as WebGPUBackend).runWebGPUProgram(new ReluGradientProgram(dy.shape), [dy, inputOf(inputs, 'y')], 'float32');
};
