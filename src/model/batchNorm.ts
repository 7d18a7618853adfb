import * as tf from '@tensorflow/tfjs';
import {
  BATCH_NORM_FORWARD,
  BATCH_NORM_GRADIENT,
  type BatchNormAttrs,
  RUNNING_AVERAGES,
  type RunningAverageAttrs,
  fusedOr,
} from './customKernels';
import { reluGradient } from './trainingConv';

/**
 * Batch norm over N·H·W for NHWC activations, with its gradient written out in closed form. tfjs differentiates
 * its own training path op by op (moments, then batchNorm's gradient with its tiles and full-size temporaries);
 * this takes about 38 fewer kernels per layer: the Classroom network's step went from 5,864 wasm kernel calls to
 * 3,698. Each of the three steps (training pass, gradient, running averages) is one custom kernel where the backend
 * has it (model/customKernels.ts). The running averages follow PyTorch (unbiased batch variance), which the app's
 * numbers are checked against.
 */

const REDUCTION_AXES = [0, 1, 2];

/** μ and σ² of a batch as one [2, C] tensor (a GPU shader may bind only 8 buffers; this saves one). */
const splitStatistics = (statistics: tf.Tensor) => tf.unstack(statistics) as [tf.Tensor1D, tf.Tensor1D];

/** The forward pass, [y, statistics], as one kernel where the backend has BATCH_NORM_FORWARD. */
function normalizeForward(x: tf.Tensor4D, scale: tf.Tensor1D, offset: tf.Tensor1D, attrs: BatchNormAttrs): [tf.Tensor4D, tf.Tensor2D] {
  return fusedOr(BATCH_NORM_FORWARD, { x, scale, offset }, attrs, () => {
    const mean = tf.mean(x, REDUCTION_AXES) as tf.Tensor1D;
    const variance = tf.mean(tf.squaredDifference(x, mean), REDUCTION_AXES) as tf.Tensor1D;
    const y = tf.batchNorm(x, mean, variance, offset, scale, attrs.epsilon);
    return [attrs.relu ? tf.relu(y) : y, tf.stack([mean, variance]) as tf.Tensor2D];
  });
}

/**
 * y = γ·(x − μ)/√(σ² + ε) + β with the batch's own μ and σ² (biased, as in the normalisation itself), then max(y, 0)
 * when `relu`. Returns the output, which carries the gradient, and the batch statistics ([2, C]: μ, σ²), which the
 * caller owns.
 */
function batchNormTraining_(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  relu: boolean,
): { output: tf.Tensor4D; statistics: tf.Tensor2D } {
  let statistics: tf.Tensor2D | undefined;
  const attrs: BatchNormAttrs = { epsilon, relu };
  const normalise = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, scale, offset, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const [output, batchStatistics] = normalizeForward(input, scale, offset, attrs);
    // customGrad's forward runs in a scope of its own; the statistics leave it kept, for the running averages.
    statistics = tf.keep(batchStatistics);
    save([input, batchStatistics, scale, output]);
    return {
      value: output,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [savedInput, savedStatistics, savedScale, savedOutput] = saved as [tf.Tensor4D, tf.Tensor2D, tf.Tensor1D, tf.Tensor4D];
        const inputs: tf.NamedTensorMap = { dy, x: savedInput, statistics: savedStatistics, scale: savedScale };
        if (relu) inputs['y'] = savedOutput;
        return fusedOr(BATCH_NORM_GRADIENT, inputs, attrs, () => {
          const upstream = relu ? reluGradient(dy, savedOutput) : dy;
          const [mean, variance] = splitStatistics(savedStatistics);
          const count = savedInput.size / savedInput.shape[3];
          const normalised = tf.batchNorm(savedInput, mean, variance, undefined, undefined, epsilon);
          const offsetGradient = tf.sum(upstream, REDUCTION_AXES);
          const scaleGradient = tf.sum(tf.mul(upstream, normalised), REDUCTION_AXES);
          // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂)), with σ = √(σ² + ε).
          const inputScale = tf.mul(savedScale, tf.rsqrt(tf.add(variance, epsilon)));
          const centred = tf.sub(tf.sub(upstream, tf.div(offsetGradient, count)), tf.mul(normalised, tf.div(scaleGradient, count)));
          return [tf.mul(centred, inputScale), scaleGradient, offsetGradient];
        });
      },
    };
  });
  const output = normalise(x, gamma, beta) as tf.Tensor4D;
  return { output, statistics: statistics! };
}

/** Named, so a profile shows its kernels under batchNormTraining__op. */
export const normalizeBatch = tf.op({ batchNormTraining_ });

/** The running mean and variance after one batch: one kernel where the backend has RUNNING_AVERAGES, else six ops. */
function runningAverages(mean: tf.Tensor, variance: tf.Tensor, statistics: tf.Tensor2D, attrs: RunningAverageAttrs): [tf.Tensor, tf.Tensor] {
  return fusedOr(RUNNING_AVERAGES, { mean, variance, statistics }, attrs, () => {
    const [batchMean, batchVariance] = splitStatistics(statistics);
    const blend = (running: tf.Tensor, value: tf.Tensor, correction: number) =>
      tf.add(tf.mul(running, attrs.momentum), tf.mul(value, (1 - attrs.momentum) * correction));
    return [blend(mean, batchMean, 1), blend(variance, batchVariance, attrs.varianceCorrection)];
  });
}

interface BatchNormState {
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
  epsilon: number;
  axis: number;
  center: boolean;
  scale: boolean;
}

/** tfjs's own layer classes, as tfjs registers them for deserialisation. */
const stockLayer = (className: string) =>
  tf.serialization.SerializationMap.getMap().classNameMap[className]![0] as unknown as typeof tf.layers.Layer;
const StockBatchNormalization = stockLayer('BatchNormalization');
const StockActivation = stockLayer('Activation');

/** PyTorch's BatchNorm2d momentum of 0.1, as tfjs counts it: the share of the running averages each batch keeps. */
export const RUNNING_AVERAGE_MOMENTUM = 0.9;

export interface TrainingBatchNormArgs {
  name: string;
  momentum: number;
  epsilon: number;
  /**
   * While training, apply the ReLU of the activation layer that follows in the same kernels (that layer must be a
   * ReluAfterBatchNorm, which then passes its input through): a GPU saves two dispatches a layer. Not part of the
   * saved config: inference runs stock batch norm, then the activation layer's ReLU.
   */
  fusedRelu?: boolean;
}

/**
 * tfjs's BatchNormalization in every respect (weights, config, inference, class name, so saved models load in
 * stock tfjs) except training on NHWC input, which runs normalizeBatch and updates the running averages as
 * PyTorch's BatchNorm2d does.
 */
export class TrainingBatchNormalization extends StockBatchNormalization {
  static readonly className = 'BatchNormalization';
  readonly fusedRelu: boolean;
  /** The share of the running averages each training batch keeps (PyTorch's 1 − momentum); a recompute changes it. */
  momentum: number;
  /**
   * Whether a training pass updates the running averages. Off while a run recomputes them before each test pass
   * (bnStats 'recompute'): they would be overwritten unread, and on a GPU each update is a dispatch per layer.
   */
  updatesRunningAverages = true;

  constructor({ fusedRelu = false, ...args }: TrainingBatchNormArgs) {
    super(args);
    this.fusedRelu = fusedRelu;
    this.momentum = args.momentum;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor {
    const state = this as unknown as BatchNormState;
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const training = kwargs['training'] === true;
    const channelsLast = state.axis === -1 || state.axis === x.rank - 1;
    if (!training || x.rank !== 4 || !channelsLast || !state.center || !state.scale) {
      const normalised = super.call(inputs, kwargs) as tf.Tensor;
      return training && this.fusedRelu ? tf.tidy(() => tf.relu(normalised)) : normalised;
    }
    return tf.tidy(() => {
      const gamma = state.gamma.read() as tf.Tensor1D;
      const beta = state.beta.read() as tf.Tensor1D;
      const { output, statistics } = normalizeBatch(x as tf.Tensor4D, gamma, beta, state.epsilon, this.fusedRelu);
      if (!this.updatesRunningAverages) {
        statistics.dispose();
        return output;
      }
      const count = x.size / x.shape[3]!;
      const attrs: RunningAverageAttrs = { momentum: this.momentum, varianceCorrection: count / Math.max(count - 1, 1) };
      const [mean, variance] = runningAverages(state.movingMean.read(), state.movingVariance.read(), statistics, attrs);
      state.movingMean.write(mean);
      state.movingVariance.write(variance);
      statistics.dispose();
      return output;
    });
  }
}

/**
 * tfjs's Activation layer (class name and config unchanged) for the ReLU after a batch norm that applies it itself
 * while training: then this layer passes its input through, which costs no kernel. Inferring, it is a plain ReLU.
 */
export class ReluAfterBatchNorm extends StockActivation {
  static readonly className = 'Activation';

  constructor(args: { name: string }) {
    super({ ...args, activation: 'relu' } as tf.serialization.ConfigDict);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor {
    if (kwargs['training'] !== true) return super.call(inputs, kwargs) as tf.Tensor;
    return tf.clone(Array.isArray(inputs) ? inputs[0]! : inputs);
  }
}
