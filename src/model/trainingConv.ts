import * as tf from '@tensorflow/tfjs';
import { RELU_GRADIENT, fusedOr } from './customKernels';

/**
 * A convolution with its bias and ReLU fused into one kernel while training, not only when inferring. Under a
 * gradient tape tfjs splits a ReLU convolution into conv, add and ReLU (three kernels, three GPU dispatches) and
 * fuses only linear ones, whose gradient function then computes every input's gradient, the images' included.
 * This op runs the fused kernel forward and, backward, the ReLU mask, the bias sum and the two convolution
 * gradients, leaving out the input gradient where the input is the images (a strided transposed convolution per
 * step: 10 ms on wasm at the Classroom scale, of a ~130 ms step).
 */

export type FusableActivation = 'relu' | 'linear';

/** dy where y > 0, else 0: one kernel where the backend has RELU_GRADIENT (WebGPU: one dispatch), else step and multiply. */
export function reluGradient<T extends tf.Tensor>(dy: T, y: T): T {
  return fusedOr(RELU_GRADIENT, { dy, y }, {}, () => tf.mul(dy, tf.step(y)));
}

export interface FusedConvOptions {
  strides: [number, number];
  padding: 'valid' | 'same';
  activation: FusableActivation;
  /** False for the layer that reads the images: nothing needs their gradient. */
  inputGradient: boolean;
}

/** y = activation(conv(x, W) + b); differentiable in W, b and (unless told not to) x. */
function trainingConvolution_(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D | null, options: FusedConvOptions): tf.Tensor4D {
  const { strides, padding, activation, inputGradient } = options;
  const convAttrs = { strides, pad: padding, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
  const convolve = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [input, filter] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D?];
    const inputs: tf.NamedTensorMap = bias === null ? { x: input, filter } : { x: input, filter, bias: args[2] as tf.Tensor1D };
    const output = tf.engine().runKernel('FusedConv2D', inputs, { ...convAttrs, activation } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    save([input, filter, output]);
    return {
      value: output,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [savedInput, savedFilter, savedOutput] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
        const dyActivation = activation === 'relu' ? reluGradient(dy, savedOutput) : dy;
        const run = (kernel: string, inputs: tf.NamedTensorMap, attrs: object) =>
          tf.engine().runKernel(kernel, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
        const filterGradient = run('Conv2DBackpropFilter', { x: savedInput, dy: dyActivation }, { ...convAttrs, filterShape: savedFilter.shape });
        const inputDerivative = inputGradient
          ? run('Conv2DBackpropInput', { dy: dyActivation, filter: savedFilter }, { ...convAttrs, inputShape: savedInput.shape })
          : tf.zerosLike(savedInput);
        const gradients: tf.Tensor[] = [inputDerivative, filterGradient];
        if (bias !== null) gradients.push(tf.sum(dyActivation, [0, 1, 2]));
        return gradients;
      },
    };
  });
  return (bias === null ? convolve(x, kernel) : convolve(x, kernel, bias)) as tf.Tensor4D;
}

/** Named, so a profile shows its kernels under trainingConvolution__op. */
export const fusedConvolution = tf.op({ trainingConvolution_ });

interface ConvState {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null | undefined;
  strides: number[];
  padding: 'valid' | 'same' | 'causal';
  dataFormat: string;
  dilationRate: number[];
  activation: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor };
}

/** tfjs's Conv2D, as it registers it for deserialisation. */
const StockConv2D = tf.serialization.SerializationMap.getMap().classNameMap['Conv2D']![0] as unknown as typeof tf.layers.Layer;

/** tfjs-layers' class names of the activations fusedConvolution fuses. */
const FUSED_ACTIVATIONS: Readonly<Record<string, FusableActivation>> = { relu: 'relu', linear: 'linear' };

/**
 * tfjs's Conv2D in every respect (weights, config, inference, class name: saved models hold plain Conv2D layers)
 * except training with a ReLU or no activation, which runs fusedConvolution.
 */
export class TrainingConv2D extends StockConv2D {
  static readonly className = 'Conv2D';
  private readonly readsImages: boolean;

  constructor(args: Parameters<typeof tf.layers.conv2d>[0] & { readsImages?: boolean }) {
    const { readsImages = false, ...convArgs } = args;
    super(convArgs);
    this.readsImages = readsImages;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor {
    const state = this as unknown as ConvState;
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const activation = FUSED_ACTIVATIONS[state.activation.getClassName()];
    const plain =
      state.dilationRate.every((rate) => rate === 1) && state.dataFormat === 'channelsLast' && state.padding !== 'causal' && x.rank === 4;
    if (kwargs['training'] !== true || activation === undefined || !plain) return super.call(inputs, kwargs) as tf.Tensor;
    return tf.tidy(() =>
      fusedConvolution(x as tf.Tensor4D, state.kernel.read() as tf.Tensor4D, (state.bias?.read() ?? null) as tf.Tensor1D | null, {
        strides: state.strides as [number, number],
        padding: state.padding as 'valid' | 'same',
        activation,
        inputGradient: !this.readsImages,
      }),
    );
  }
}
