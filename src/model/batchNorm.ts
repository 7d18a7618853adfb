import * as tf from '@tensorflow/tfjs';

/**
 * Batch norm over N·H·W for NHWC activations, with its gradient written out in closed form. tfjs differentiates
 * its own training path op by op (moments, then batchNorm's gradient with its tiles and full-size temporaries);
 * this takes about 38 fewer kernels per layer: the Classroom network's step went from 5,864 wasm kernel calls to
 * 3,698. The running averages follow PyTorch (unbiased batch variance), which the app's numbers are checked against.
 */

export interface BatchStatistics {
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

const REDUCTION_AXES = [0, 1, 2];

/**
 * The training pass and its gradient as one kernel each: [y, μ, σ²] from {x, scale, offset}, and [dx, dγ, dβ] from
 * {dy, x, mean, variance, scale}, both with `epsilon`. The CPU backends register them (train/fusedKernels.ts: a few
 * passes over memory instead of 4 and about 13 kernel calls a layer); elsewhere they are those ops.
 */
export const BATCH_NORM_FORWARD = 'PlaygroundBatchNormTraining';
export const BATCH_NORM_GRADIENT = 'PlaygroundBatchNormGradient';

/** The forward pass, [y, μ, σ²], as one kernel where the backend registers BATCH_NORM_FORWARD. */
function normalizeForward(x: tf.Tensor4D, scale: tf.Tensor1D, offset: tf.Tensor1D, epsilon: number): [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D] {
  if (tf.getKernel(BATCH_NORM_FORWARD, tf.getBackend()) !== undefined) {
    return tf.engine().runKernel(BATCH_NORM_FORWARD, { x, scale, offset }, { epsilon }) as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
  }
  const mean = tf.mean(x, REDUCTION_AXES) as tf.Tensor1D;
  const variance = tf.mean(tf.squaredDifference(x, mean), REDUCTION_AXES) as tf.Tensor1D;
  return [tf.batchNorm(x, mean, variance, offset, scale, epsilon), mean, variance];
}

/**
 * y = γ·(x − μ)/√(σ² + ε) + β with the batch's own μ and σ² (biased, as in the normalisation itself). Returns the
 * output, which carries the gradient, and the batch statistics, which the caller owns and must dispose.
 */
function batchNormTraining_(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): { output: tf.Tensor4D; statistics: BatchStatistics } {
  let statistics: BatchStatistics | undefined;
  const normalise = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, scale, offset, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const [output, mean, variance] = normalizeForward(input, scale, offset, epsilon);
    // customGrad's forward runs in a scope of its own; the statistics leave it kept, for the running averages.
    statistics = { mean: tf.keep(mean), variance: tf.keep(variance) };
    save([input, mean, variance, scale]);
    return {
      value: output,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [savedInput, savedMean, savedVariance, savedScale] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        if (tf.getKernel(BATCH_NORM_GRADIENT, tf.getBackend()) !== undefined) {
          const inputs = { dy, x: savedInput, mean: savedMean, variance: savedVariance, scale: savedScale };
          return tf.engine().runKernel(BATCH_NORM_GRADIENT, inputs, { epsilon }) as tf.Tensor[];
        }
        const count = savedInput.size / savedInput.shape[3];
        const normalised = tf.batchNorm(savedInput, savedMean, savedVariance, undefined, undefined, epsilon);
        const offsetGradient = tf.sum(dy, REDUCTION_AXES);
        const scaleGradient = tf.sum(tf.mul(dy, normalised), REDUCTION_AXES);
        // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂)), with σ = √(σ² + ε).
        const inputScale = tf.mul(savedScale, tf.rsqrt(tf.add(savedVariance, epsilon)));
        const centred = tf.sub(tf.sub(dy, tf.div(offsetGradient, count)), tf.mul(normalised, tf.div(scaleGradient, count)));
        return [tf.mul(centred, inputScale), scaleGradient, offsetGradient];
      },
    };
  });
  const output = normalise(x, gamma, beta) as tf.Tensor4D;
  return { output, statistics: statistics! };
}

/** Named, so a profile shows its kernels under batchNormTraining__op. */
export const normalizeBatch = tf.op({ batchNormTraining_ });

/** tfjs's momentum (the share kept: 0.9 is PyTorch's 0.1 of the new value) and n/(n−1) for the variance. */
export interface RunningAverageAttrs {
  momentum: number;
  varianceCorrection: number;
}

/**
 * The running mean and variance after one batch, [μ', σ²'] from {mean, variance, batchMean, batchVariance}: one kernel
 * where the backend registers RUNNING_AVERAGES, else six element-wise ops.
 */
export const RUNNING_AVERAGES = 'PlaygroundRunningAverages';

function runningAverages(mean: tf.Tensor, variance: tf.Tensor, batch: BatchStatistics, attrs: RunningAverageAttrs): [tf.Tensor, tf.Tensor] {
  if (tf.getKernel(RUNNING_AVERAGES, tf.getBackend()) !== undefined) {
    const inputs = { mean, variance, batchMean: batch.mean, batchVariance: batch.variance };
    return tf.engine().runKernel(RUNNING_AVERAGES, inputs, attrs as unknown as tf.NamedAttrMap) as [tf.Tensor, tf.Tensor];
  }
  const blend = (running: tf.Tensor, value: tf.Tensor, correction: number) =>
    tf.add(tf.mul(running, attrs.momentum), tf.mul(value, (1 - attrs.momentum) * correction));
  return [blend(mean, batch.mean, 1), blend(variance, batch.variance, attrs.varianceCorrection)];
}

interface BatchNormState {
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
  momentum: number;
  epsilon: number;
  axis: number;
  center: boolean;
  scale: boolean;
}

/** tfjs's own layer class, as it registers it for deserialisation. */
const StockBatchNormalization = tf.serialization.SerializationMap.getMap().classNameMap['BatchNormalization']![0] as unknown as typeof tf.layers.Layer;

/**
 * tfjs's BatchNormalization in every respect (weights, config, inference, class name, so saved models load in
 * stock tfjs) except training on NHWC input, which runs normalizeBatch and updates the running averages as
 * PyTorch's BatchNorm2d does.
 */
export class TrainingBatchNormalization extends StockBatchNormalization {
  static readonly className = 'BatchNormalization';

  constructor(args: { name: string; momentum: number; epsilon: number }) {
    super(args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor {
    const state = this as unknown as BatchNormState;
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const channelsLast = state.axis === -1 || state.axis === x.rank - 1;
    if (kwargs['training'] !== true || x.rank !== 4 || !channelsLast || !state.center || !state.scale) {
      return super.call(inputs, kwargs) as tf.Tensor;
    }
    return tf.tidy(() => {
      const { output, statistics } = normalizeBatch(x as tf.Tensor4D, state.gamma.read() as tf.Tensor1D, state.beta.read() as tf.Tensor1D, state.epsilon);
      const count = x.size / x.shape[3]!;
      const attrs: RunningAverageAttrs = { momentum: state.momentum, varianceCorrection: count / Math.max(count - 1, 1) };
      const [mean, variance] = runningAverages(state.movingMean.read(), state.movingVariance.read(), statistics, attrs);
      state.movingMean.write(mean);
      state.movingVariance.write(variance);
      statistics.mean.dispose();
      statistics.variance.dispose();
      return output;
    });
  }
}
tf.serialization.registerClass(TrainingBatchNormalization);
