import type * as tf from '@tensorflow/tfjs';

/**
 * A max pool's input gradient on plain arrays (NHWC), equal to tfjs's cpu backend bit for bit: each output's
 * gradient goes to the first input of its window, in row-major order, that holds the window's largest value (so a
 * window of ReLU zeros passes it to its top-left cell inside the image), and each input adds what it receives in
 * double precision, in the outputs' row-major order, before one rounding to float32.
 *
 * tfjs-backend-wasm's own kernel walks one channel at a time across the whole tensor and tracks a running maximum
 * for every output (with the opposite tie rule: the last largest). Here channels are the innermost loop over each
 * window, and where the pool's output is given, it says which value to look for, so that most windows stop at their
 * first cells (1.5× faster than tracking the maximum).
 */
export class MaxPoolGradient {
  /** Reused between calls: a step takes a dozen of these gradients, and allocating a few MB each time costs more. */
  private sums = new Float64Array(0);

  /**
   * Writes into `dx` the gradient of the pool `info` describes (undilated), from its input `x`, the output's
   * gradient `dy` and, if they can be trusted to be exactly each window's maximum, the pool's outputs `maxima`.
   */
  compute(
    x: Float32Array,
    maxima: Float32Array | undefined,
    dy: Float32Array,
    dx: Float32Array,
    info: tf.backend_util.Conv2DInfo,
  ): void {
    const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth, padInfo } = info;
    const { effectiveFilterHeight: filterHeight, effectiveFilterWidth: filterWidth, dilationHeight, dilationWidth } = info;
    if (dilationHeight !== 1 || dilationWidth !== 1) throw new Error('MaxPoolGradient supports undilated pools only.');
    if (this.sums.length < x.length) this.sums = new Float64Array(x.length);
    const sums = this.sums;
    sums.fill(0, 0, x.length);
    const cells = new Int32Array(filterHeight * filterWidth); // the window's cells inside the image, row-major
    let output = 0;
    for (let b = 0; b < batchSize; b++) {
      for (let outRow = 0; outRow < outHeight; outRow++) {
        const top = outRow * strideHeight - padInfo.top;
        const rowEnd = Math.min(inHeight, top + filterHeight);
        for (let outCol = 0; outCol < outWidth; outCol++) {
          const left = outCol * strideWidth - padInfo.left;
          const colEnd = Math.min(inWidth, left + filterWidth);
          let size = 0;
          for (let row = Math.max(0, top); row < rowEnd; row++) {
            for (let col = Math.max(0, left); col < colEnd; col++) cells[size++] = ((b * inHeight + row) * inWidth + col) * channels;
          }
          for (let c = 0; c < channels; c++, output++) {
            const largest = maxima === undefined ? NaN : maxima[output]!;
            // A −∞ or NaN maximum, or none, takes the cpu rule below, which gives an all −∞ window no gradient.
            let tap = largest > -Infinity ? 0 : size;
            while (tap < size && x[cells[tap]! + c] !== largest) tap++;
            const winner = tap < size ? cells[tap]! + c : firstLargest(x, cells, size, c);
            if (winner >= 0) sums[winner] = sums[winner]! + dy[output]!;
          }
        }
      }
    }
    dx.set(sums.subarray(0, x.length));
  }
}

/**
 * The cpu backend's own search, for a window whose maximum is not given, says nothing (−∞, NaN) or matches no cell:
 * the first cell greater than −∞ and than every cell before it, never a NaN; −1, so no gradient, where there is none.
 */
function firstLargest(x: Float32Array, cells: Int32Array, size: number, channel: number): number {
  let largest = -Infinity;
  let winner = -1;
  for (let tap = 0; tap < size; tap++) {
    const value = x[cells[tap]! + channel]!;
    if (value > largest) {
      largest = value;
      winner = cells[tap]! + channel;
    }
  }
  return winner;
}
