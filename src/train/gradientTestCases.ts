import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/trainConfig';
import type { ImageDataset, LabelledImages } from '../data/dataset';
import { seededRandom } from '../data/random';
import { TrainingSession } from './session';

/** Fixtures the gradient-kernel tests share: in Node against the cpu backend, in the browser against WebGPU. */

export type Shape4 = [number, number, number, number];

export interface ConvCase {
  layer: string;
  x: Shape4;
  filter: Shape4;
  strides: number;
  pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding;
}

/** Paddings no model layer uses but the kernels must get right: TF's uneven 'same', strides that leave rows over. */
export const CONV_EDGE_CASES: readonly ConvCase[] = [
  { layer: '3×3/2 same, even input', x: [2, 8, 8, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { layer: '3×3/2 valid, rows left over', x: [2, 10, 9, 2], filter: [3, 3, 2, 5], strides: 2, pad: 'valid' },
  { layer: '1×1/2 valid', x: [2, 7, 7, 3], filter: [1, 1, 3, 2], strides: 2, pad: 'valid' },
  { layer: '5×5/3 uneven explicit', x: [1, 11, 12, 2], filter: [5, 5, 2, 3], strides: 3, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
  { layer: '1×1/1 explicit', x: [2, 4, 5, 3], filter: [1, 1, 3, 4], strides: 1, pad: [[0, 0], [1, 0], [0, 1], [0, 0]] },
  { layer: '7×7/2 same', x: [2, 16, 16, 1], filter: [7, 7, 1, 4], strides: 2, pad: 'same' },
];

/** Pixels and labels from a seed: the step's arithmetic, not the images, is under test. */
export function syntheticDataset(count: number, side: number, seed: number): ImageDataset {
  const random = seededRandom(seed);
  const split = (): LabelledImages => ({
    count,
    images: Uint8Array.from({ length: count * side * side }, () => Math.floor(random() * 256)),
    labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
  });
  return { classes: Array.from({ length: 10 }, (_, i) => `class ${i}`), side, channels: 1, train: split(), test: split() };
}

/** One training step on the first images from the seed's weights: where it ran, its loss, the weights and the update. */
export async function trainOneStep(config: TrainConfig, data: ImageDataset) {
  const session = new TrainingSession(config, data);
  try {
    const before = (await session.readState()).weights;
    const step = session.trainStep(Int32Array.from({ length: config.batchSize }, (_, i) => i));
    const loss = (await step.loss.data())[0]!;
    step.dispose();
    const after = (await session.readState()).weights;
    return { backend: tf.getBackend(), loss, before, after, update: after.map((w, i) => w.map((v, j) => v - before[i]![j]!)) };
  } finally {
    session.dispose();
  }
}
