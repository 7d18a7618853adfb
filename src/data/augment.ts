import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/trainConfig';

export type Augmentation = Pick<TrainConfig, 'cropPadding' | 'flip'>;

export const isAugmenting = (augmentation: Augmentation): boolean => augmentation.cropPadding > 0 || augmentation.flip;

/**
 * torchvision's RandomCrop(side, padding=p) and RandomHorizontalFlip as crop boxes on an image padded by
 * max(p, 1): an integer offset in [−p, p] per example, and a box whose x runs right to left when flipped. Normalised
 * as tf.image.cropAndResize takes them ([y1, x1, y2, x2] per example).
 */
export function augmentationBoxes(count: number, side: number, augmentation: Augmentation, random: () => number): Float32Array {
  const border = Math.max(augmentation.cropPadding, 1);
  const last = side + 2 * border - 1;
  const offset = () => border + Math.floor(random() * (2 * augmentation.cropPadding + 1)) - augmentation.cropPadding;
  const boxes = new Float32Array(count * 4);
  for (let i = 0; i < count; i++) {
    const top = offset();
    const left = offset();
    const flipped = augmentation.flip && random() < 0.5;
    const [x1, x2] = flipped ? [left + side - 1, left] : [left, left + side - 1];
    boxes.set([top / last, x1 / last, (top + side - 1) / last, x2 / last], i * 4);
  }
  return boxes;
}

/**
 * Crops and flips a batch of square images on the device, by boxes from augmentationBoxes (a tensor, so that a
 * recorded step can be given the next batch's). The boxes land on whole pixels up to float rounding,
 * which nearest sampling absorbs, so the crop copies pixels exactly (bilinear would blend in a few millionths of a
 * neighbour); the resize to the run's resolution comes after, as without augmentation.
 * The one-pixel border keeps every real pixel strictly inside the padded image: a position that rounding pushes
 * past the edge reads as the extrapolation value, which is only ever a padding zero.
 */
export function augmentBatch(images: tf.Tensor4D, augmentation: Augmentation, boxes: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const [count, side] = images.shape;
    const border = Math.max(augmentation.cropPadding, 1);
    const padded = tf.pad(images, [[0, 0], [border, border], [border, border], [0, 0]]);
    const owners = tf.range(0, count, 1, 'int32') as tf.Tensor1D;
    return tf.image.cropAndResize(padded, boxes, owners, [side, side], 'nearest', 0);
  });
}
