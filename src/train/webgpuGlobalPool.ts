import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { inputOf, originalKernels } from './kernelSupport';
import { PerElementProgram, WEBGPU } from './webgpuKernels';

/**
 * The global average pool (Mean over the height and width of an NHWC tensor) as one thread per output, summing its
 * few cells. tfjs's Mean first transposes the channels before the cells, then gives every output a workgroup of 64
 * threads that share its sum through workgroup memory with a barrier per halving: a whole workgroup for one to a
 * few dozen cells. On SwiftShader, which runs workgroups on the CPU, that made the Classroom network's pool (1×1
 * cells, 32 × 256 outputs) 137 ms of a 2-second step and 2.3 s of each 500-image test pass; this form takes 3 and
 * 7 ms. Other means (a loss over the batch, batch norm's op-by-op moments) keep tfjs's parallel reduction.
 */

const KERNEL = 'Mean';

/** Beyond this many cells per output a serial sum would leave a real GPU idle; tfjs's reduction takes over. */
const MAX_POOLED_CELLS = 256;

class GlobalAveragePoolProgram extends PerElementProgram {
  readonly variableNames = ['x'];
  readonly shaderKey = 'playgroundGlobalAveragePool';

  constructor(
    outputShape: number[],
    private readonly channelAxis: number,
  ) {
    super(outputShape);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let coords = getCoordsFromIndex(index);
          let image = coords[0];
          let channel = coords[${this.channelAxis}];
          var total = 0.0;
          for (var row = 0; row < uniforms.xShape[1]; row++) {
            for (var col = 0; col < uniforms.xShape[2]; col++) {
              total = total + getX(image, row, col, channel);
            }
          }
          setOutputAtIndex(index, total / f32(uniforms.xShape[1] * uniforms.xShape[2]));
        }
      }
    `;
  }
}

/** Whether a Mean call is a global average pool this shader takes: rank 4, over axes 1 and 2 only, few cells. */
function isGlobalAveragePool(shape: readonly number[], axis: number | number[]): boolean {
  if (shape.length !== 4) return false;
  const axes = tf.util.parseAxisParam(axis, [...shape]).sort((a, b) => a - b);
  return axes.length === 2 && axes[0] === 1 && axes[1] === 2 && shape[1]! * shape[2]! <= MAX_POOLED_CELLS;
}

/** Mean on WebGPU: the global average pool in one dispatch, every other reduction by tfjs's kernel. */
export function webgpuGlobalAveragePool(): tf.KernelFunc {
  const original = originalKernels([KERNEL], WEBGPU).get(KERNEL)!;
  return (args) => {
    const x = inputOf(args.inputs, 'x');
    const { axis, keepDims } = args.attrs as unknown as tf.MeanAttrs;
    if (x.dtype !== 'float32' || !isGlobalAveragePool(x.shape, axis)) return original(args);
    const [images, , , channels] = x.shape as [number, number, number, number];
    const outputShape = keepDims ? [images, 1, 1, channels] : [images, channels];
    const program = new GlobalAveragePoolProgram(outputShape, outputShape.length - 1);
    return (args.backend as WebGPUBackend).runWebGPUProgram(program, [x], 'float32');
  };
}
