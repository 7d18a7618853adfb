import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIDE, type LabelledImages } from './fashionMnist';

/**
 * A split kept on the device at its native 28×28 (resizing all 60k images to 96×96 up front would take ≈ 2.2 GB);
 * each batch is gathered, resized and scaled there, so no pixel crosses the bus after upload.
 */
export class DeviceImageSet {
  readonly count: number;
  private readonly images: tf.Tensor4D;
  private readonly labels: tf.Tensor1D;

  constructor(source: LabelledImages, count: number) {
    if (count > source.count) throw new RangeError(`Asked for ${count} images, only ${source.count} exist.`);
    this.count = count;
    const pixels = Float32Array.from(source.images.subarray(0, count * IMAGE_SIDE * IMAGE_SIDE));
    this.images = tf.tensor4d(pixels, [count, IMAGE_SIDE, IMAGE_SIDE, 1]);
    this.labels = tf.tensor1d(Int32Array.from(source.labels.subarray(0, count)), 'int32');
  }

  /**
   * Images as [n, side, side, channels] in [0, 1] (grey repeated on every channel) and int32 labels; call inside
   * tf.tidy. `augment` transforms the gathered 28×28 images before the resize (training batches only).
   */
  batch(
    indices: Int32Array,
    side: number,
    channels = 1,
    augment?: (images: tf.Tensor4D) => tf.Tensor4D,
  ): { images: tf.Tensor4D; labels: tf.Tensor1D } {
    const index = tf.tensor1d(indices, 'int32');
    const gathered = tf.gather(this.images, index);
    const raw = augment ? augment(gathered) : gathered;
    const resized = side === IMAGE_SIDE ? raw : tf.image.resizeBilinear(raw, [side, side], false, true);
    const scaled = tf.mul(resized, 1 / 255) as tf.Tensor4D;
    return { images: channels === 1 ? scaled : tf.tile(scaled, [1, 1, 1, channels]), labels: tf.gather(this.labels, index) };
  }

  dispose(): void {
    this.images.dispose();
    this.labels.dispose();
  }
}
