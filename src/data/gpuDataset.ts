import * as tf from '@tensorflow/tfjs';
import type { LabelledImages } from './dataset';

/** ITU-R BT.601 weights: RGB images given to a network trained on grey ones are converted as a grey photo is. */
const LUMINANCE = [0.299, 0.587, 0.114];

/**
 * A split kept on the device at its stored size (resizing all 60k Fashion-MNIST images to 96×96 up front would
 * take ≈ 2.2 GB); each batch is gathered, resized and scaled there, so no pixel crosses the bus after upload.
 */
export class DeviceImageSet {
  readonly count: number;
  private readonly images: tf.Tensor4D;
  private readonly labels: tf.Tensor1D;
  private readonly storedSide: number;
  private readonly storedChannels: number;

  constructor(source: LabelledImages, count: number, shape: { side: number; channels: number }) {
    if (count > source.count) throw new RangeError(`Asked for ${count} images, only ${source.count} exist.`);
    this.count = count;
    this.storedSide = shape.side;
    this.storedChannels = shape.channels;
    const pixels = Float32Array.from(source.images.subarray(0, count * shape.side * shape.side * shape.channels));
    this.images = tf.tensor4d(pixels, [count, shape.side, shape.side, shape.channels]);
    this.labels = tf.tensor1d(Int32Array.from(source.labels.subarray(0, count)), 'int32');
  }

  /**
   * Images as [n, side, side, channels] in [0, 1] and int32 labels; call inside tf.tidy. Grey images asked for
   * with three channels are repeated on each; RGB ones asked for with one are converted to grey. `augment` transforms the gathered images at their stored size,
   * before the resize (training batches only).
   */
  batch(
    indices: Int32Array | tf.Tensor1D,
    side: number,
    channels = this.storedChannels,
    augment?: (images: tf.Tensor4D) => tf.Tensor4D,
  ): { images: tf.Tensor4D; labels: tf.Tensor1D } {
    const index = indices instanceof Int32Array ? tf.tensor1d(indices, 'int32') : indices;
    const gathered = tf.gather(this.images, index);
    const raw = augment ? augment(gathered) : gathered;
    const resized = side === this.storedSide ? raw : tf.image.resizeBilinear(raw, [side, side], false, true);
    const scaled = tf.mul(resized, 1 / 255) as tf.Tensor4D;
    const images =
      channels === this.storedChannels
        ? scaled
        : channels > this.storedChannels
          ? tf.tile(scaled, [1, 1, 1, channels / this.storedChannels])
          : (tf.sum(tf.mul(scaled, LUMINANCE), -1, true) as tf.Tensor4D);
    return { images, labels: tf.gather(this.labels, index) };
  }

  /** The tensors a batch is gathered from: a recorded step reads them where they lie (webgpuStepReplay.ts). */
  get deviceTensors(): tf.Tensor[] {
    return [this.images, this.labels];
  }

  dispose(): void {
    this.images.dispose();
    this.labels.dispose();
  }
}
