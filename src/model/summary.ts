import type * as tf from '@tensorflow/tfjs';

export interface LayerSummary {
  name: string;
  className: string;
  /** Output shape without the batch dimension (NHWC). */
  outputShape: number[];
  params: number;
  /** Parameters without the biases: the "weights" the papers count. */
  kernelParams: number;
  /** Multiply-accumulates per image in the forward pass (convolutions and dense layers). */
  macs: number;
}

export interface ModelSummary {
  layers: LayerSummary[];
  totalParams: number;
  totalMacs: number;
}

/** A training step costs about three forward passes: the forward, and two of the same size for the gradients. */
export const TRAINING_FLOPS_PER_MAC = 6;

function shapeOf(layer: tf.layers.Layer): number[] {
  const shape = layer.outputShape as (number | null)[];
  return shape.slice(1).map((d) => d ?? 0);
}

function macsOf(layer: tf.layers.Layer, outputShape: number[]): number {
  const weights = layer.getWeights(false);
  const kernel = weights[0];
  if (kernel === undefined) return 0;
  const className = layer.getClassName();
  if (className === 'Conv2D') {
    const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
    const [oh, ow] = outputShape as [number, number, number];
    return oh * ow * kh * kw * cin * cout;
  }
  if (className === 'Dense') {
    const [inputs, units] = kernel.shape as [number, number];
    return inputs * units;
  }
  return 0;
}

export function summarizeModel(model: tf.LayersModel): ModelSummary {
  const layers = model.layers
    .filter((layer) => layer.getClassName() !== 'InputLayer')
    .map((layer) => {
      const outputShape = shapeOf(layer);
      return {
        name: layer.name,
        className: layer.getClassName(),
        outputShape,
        // Trainable weights only, as PyTorch counts parameters: batch norm's running statistics are buffers there.
        params: layer.trainableWeights.reduce((sum, weight) => sum + weight.read().size, 0),
        kernelParams: layer.getWeights(false)[0]?.size ?? 0,
        macs: macsOf(layer, outputShape),
      };
    });
  return {
    layers,
    totalParams: layers.reduce((sum, l) => sum + l.params, 0),
    totalMacs: layers.reduce((sum, l) => sum + l.macs, 0),
  };
}

const FLOAT_BYTES = 4;

export interface TrainingMemoryEstimate {
  /** Weights and their gradients; momentum keeps one more copy of the weights and Adam two, not counted here. */
  parameterBytes: number;
  /** Every layer's output kept for the backward pass, and a gradient of the same size. */
  activationBytes: number;
  largestTensor: { layer: string; bytes: number };
}

export function estimateTrainingMemory(summary: ModelSummary, batchSize: number): TrainingMemoryEstimate {
  let activationBytes = 0;
  let largestTensor = { layer: '', bytes: 0 };
  for (const layer of summary.layers) {
    const bytes = layer.outputShape.reduce((a, b) => a * b, 1) * batchSize * FLOAT_BYTES;
    activationBytes += 2 * bytes;
    if (bytes > largestTensor.bytes) largestTensor = { layer: layer.name, bytes };
  }
  return { parameterBytes: 2 * summary.totalParams * FLOAT_BYTES, activationBytes, largestTensor };
}

/** One row per block (a stem layer, an Inception block, a pool), for a readable summary of the network. */
export interface BlockSummary {
  name: string;
  outputShape: number[];
  params: number;
  macs: number;
}

/** Padding is a detail of how a layer is computed, not a step of the network. */
const PADDING_LAYERS = new Set(['ZeroPadding2D', 'PoolPadding']);

/** Groups layers by the block their name starts with ("inception_4a/branch2_3x3" → "inception_4a"). */
export function summarizeBlocks(summary: ModelSummary): BlockSummary[] {
  const blocks: BlockSummary[] = [];
  for (const layer of summary.layers) {
    if (PADDING_LAYERS.has(layer.className)) continue;
    const name = layer.name.split('/')[0]!;
    const last = blocks[blocks.length - 1];
    if (last?.name === name) {
      last.params += layer.params;
      last.macs += layer.macs;
      last.outputShape = layer.outputShape;
    } else {
      blocks.push({ name, outputShape: layer.outputShape, params: layer.params, macs: layer.macs });
    }
  }
  return blocks;
}
