import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { augmentBatch, augmentationBoxes } from './augment';
import { DeviceImageSet } from './gpuDataset';
import { augmentationRandom, seededRandom } from './random';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SIDE = 28;
/** Two distinct test images: pixel (y, x) of image n is 1000·n + 28·y + x + 1. */
const images = () => tf.tensor4d(Float32Array.from({ length: 2 * SIDE * SIDE }, (_, i) => (i >= SIDE * SIDE ? 1000 : 0) + (i % (SIDE * SIDE)) + 1), [2, SIDE, SIDE, 1]);
const pixel = (n: number, y: number, x: number) => (y < 0 || x < 0 || y >= SIDE || x >= SIDE ? 0 : 1000 * n + SIDE * y + x + 1);

/** The boxes augmentBatch takes, for `count` images, from the draws of `random`. */
const boxesOf = (count: number, augmentation: { cropPadding: number; flip: boolean }, random: () => number) =>
  tf.tensor2d(augmentationBoxes(count, SIDE, augmentation, random), [count, 4]);

/** Replays the draws augmentationBoxes makes, to know each example's offset and flip. */
function drawsOf(boxes: Float32Array, padding: number, n: number) {
  const border = Math.max(padding, 1);
  const last = SIDE + 2 * border - 1;
  const [y1, x1, , x2] = boxes.subarray(n * 4, n * 4 + 4).map((v) => Math.round(v * last));
  return { dy: y1! - border, dx: Math.min(x1!, x2!) - border, flipped: x1! > x2! };
}

describe('augmentBatch', () => {
  it('leaves the images as they are with neither crop nor flip drawn', () => {
    const result = tf.tidy(() => [...augmentBatch(images(), { cropPadding: 0, flip: false }, boxesOf(2, { cropPadding: 0, flip: false }, seededRandom(1))).dataSync()]);
    expect(result).toEqual([...images().dataSync()]);
  });

  it.each([
    ['flip only', { cropPadding: 0, flip: true }],
    ['crop only', { cropPadding: 3, flip: false }],
    ['crop and flip', { cropPadding: 4, flip: true }],
  ])('%s moves whole pixels, with zeros where the padding shows', (_, augmentation) => {
    for (let seed = 1; seed <= 6; seed++) {
      const boxes = augmentationBoxes(2, SIDE, augmentation, seededRandom(seed));
      const out = tf.tidy(() => augmentBatch(images(), augmentation, boxesOf(2, augmentation, seededRandom(seed))).arraySync());
      for (let n = 0; n < 2; n++) {
        const { dy, dx, flipped } = drawsOf(boxes, augmentation.cropPadding, n);
        expect(Math.abs(dy)).toBeLessThanOrEqual(augmentation.cropPadding);
        expect(Math.abs(dx)).toBeLessThanOrEqual(augmentation.cropPadding);
        if (!augmentation.flip) expect(flipped).toBe(false);
        for (let y = 0; y < SIDE; y++) {
          for (let x = 0; x < SIDE; x++) {
            const expected = pixel(n, y + dy, flipped ? dx + SIDE - 1 - x : x + dx);
            expect(out[n]![y]![x]![0]).toBe(expected);
          }
        }
      }
    }
  });

  it('draws every offset and both flips, and the same ones for the same seed and step', () => {
    const augmentation = { cropPadding: 2, flip: true };
    const draws = Array.from({ length: 200 }, (_, i) => drawsOf(augmentationBoxes(1, SIDE, augmentation, seededRandom(i)), 2, 0));
    expect(new Set(draws.map((d) => d.dx))).toEqual(new Set([-2, -1, 0, 1, 2]));
    expect(new Set(draws.map((d) => d.flipped))).toEqual(new Set([true, false]));
    const boxes = (step: number) => [...augmentationBoxes(8, SIDE, augmentation, augmentationRandom(3, step))];
    expect(boxes(5)).toEqual(boxes(5));
    expect(boxes(5)).not.toEqual(boxes(6));
  });

  it('goes before the same resize as a plain batch', () => {
    const bytes = Uint8Array.from({ length: 2 * SIDE * SIDE }, (_, i) => (37 * i) % 256);
    const set = new DeviceImageSet({ count: 2, images: bytes, labels: Uint8Array.of(0, 1) }, 2, { side: SIDE, channels: 1 });
    const indices = Int32Array.of(1, 0);
    const augmentation = { cropPadding: 3, flip: true };
    const boxes = augmentationBoxes(2, SIDE, augmentation, seededRandom(4));
    const shifted = Float32Array.from({ length: 2 * SIDE * SIDE }, (_, i) => {
      const [n, y, x] = [Math.floor(i / (SIDE * SIDE)), Math.floor(i / SIDE) % SIDE, i % SIDE];
      const { dy, dx, flipped } = drawsOf(boxes, augmentation.cropPadding, n);
      const [sy, sx] = [y + dy, flipped ? dx + SIDE - 1 - x : x + dx];
      return sy < 0 || sx < 0 || sy >= SIDE || sx >= SIDE ? 0 : bytes[indices[n]! * SIDE * SIDE + sy * SIDE + sx]!;
    });
    const [plain, unchanged, expected, augmented] = tf.tidy(() => [
      set.batch(indices, 40, 1).images.dataSync(),
      set.batch(indices, 40, 1, (raw) => augmentBatch(raw, { cropPadding: 0, flip: false }, boxesOf(2, { cropPadding: 0, flip: false }, seededRandom(4)))).images.dataSync(),
      tf.div(tf.image.resizeBilinear(tf.tensor4d(shifted, [2, SIDE, SIDE, 1]), [40, 40], false, true), 255).dataSync(),
      set.batch(indices, 40, 1, (raw) => augmentBatch(raw, augmentation, boxesOf(2, augmentation, seededRandom(4)))).images.dataSync(),
    ]);
    set.dispose();
    const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));
    expect(maxDifference(unchanged!, plain!)).toBeLessThan(1e-6);
    expect(maxDifference(augmented!, expected!)).toBeLessThan(1e-6);
  });

  it('frees everything it makes', () => {
    const input = images();
    const boxes = boxesOf(2, { cropPadding: 2, flip: true }, seededRandom(1));
    const before = tf.memory().numTensors;
    augmentBatch(input, { cropPadding: 2, flip: true }, boxes).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([input, boxes]);
  });
});
