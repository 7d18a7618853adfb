import * as tf from '@tensorflow/tfjs';

/**
 * The custom kernels the model's layers and the optimiser call by name. Which backend has which is decided in one
 * place, src/train/trainingKernels.ts; where a backend has none, the caller's own ops compute the same thing. The
 * names live here, one layer below that table, because the model's layers call them and may not import from train/.
 */

/**
 * Batch norm's training pass: {x, scale, offset} → [y, statistics], the statistics one [2, C] tensor (μ, then σ²
 * biased), with `epsilon` and, if `relu`, y ≥ 0.
 */
export const BATCH_NORM_FORWARD = 'PlaygroundBatchNormTraining';

/** Its gradient: {dy, x, statistics, scale} (+ y when `relu`, whose zeros mask dy) → [dx, dγ, dβ]. */
export const BATCH_NORM_GRADIENT = 'PlaygroundBatchNormGradient';

/** The running averages after a batch: {mean, variance, statistics} → [μ', σ²'] (in place on WebGPU). */
export const RUNNING_AVERAGES = 'PlaygroundRunningAverages';

/** ReLU's gradient from its output: {dy, y} → dy where y > 0, else 0. */
export const RELU_GRADIENT = 'PlaygroundReluGradient';

/**
 * SGD's update for many variables at once: {rate, w0…, g0… (, b0… with momentum)} → the new weights, then the new
 * momentum buffers. `rate` is a one-element tensor, so a changing learning rate is data, not a new program.
 */
export const SGD_UPDATE = 'PlaygroundSgdUpdate';

export interface BatchNormAttrs {
  epsilon: number;
  /** A ReLU fused after the normalisation (its layer then passes the value through unchanged while training). */
  relu: boolean;
}

/** tfjs's momentum (the share kept: 0.9 is PyTorch's 0.1 of the new value) and n/(n−1) for the variance. */
export interface RunningAverageAttrs {
  momentum: number;
  varianceCorrection: number;
}

export interface SgdUpdateAttrs {
  weightDecay: number;
  /** 0 for plain SGD; PyTorch's buf = μ·buf + g, w −= lr·buf otherwise. */
  momentum: number;
  variableCount: number;
}

/** SGD_UPDATE's inputs: the rate, then w0…, g0… and, with momentum, b0…. */
export function updateInputs(rate: tf.Tensor, weights: tf.Tensor[], gradients: tf.Tensor[], buffers: tf.Tensor[]): tf.NamedTensorMap {
  const inputs: tf.NamedTensorMap = { rate };
  weights.forEach((w, i) => {
    inputs[`w${i}`] = w;
    inputs[`g${i}`] = gradients[i]!;
    if (buffers.length > 0) inputs[`b${i}`] = buffers[i]!;
  });
  return inputs;
}

export const hasKernel = (name: string): boolean => tf.getKernel(name, tf.getBackend()) !== undefined;

/** The custom kernel where the current backend has it, else `fallback`, the same computation as tfjs ops. */
export function fusedOr<T extends tf.Tensor | tf.Tensor[]>(kernel: string, inputs: tf.NamedTensorMap, attrs: object, fallback: () => T): T {
  if (!hasKernel(kernel)) return fallback();
  return tf.engine().runKernel(kernel, inputs, attrs as unknown as tf.NamedAttrMap) as unknown as T;
}
