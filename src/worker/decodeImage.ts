import type { DatasetShape } from '../domain/dataset';

/** A border brighter than this (0–255) means a dark object on a light ground, the opposite of Fashion-MNIST's. */
const LIGHT_BORDER = 127;

export interface DecodeOptions {
  shape: Pick<DatasetShape, 'side' | 'channels'>;
  /** Fashion-MNIST shows bright objects on black: invert a grey image whose border is light (a photo on white). */
  darkGround: boolean;
}

/**
 * Decodes an image file or a drawing into what a network was trained on: side × side, grey or RGB, 0–255. The image
 * is stretched to a square, as the imported images are. Transparent pixels (a drawing's untouched ground) count as
 * black.
 */
export async function decodeImage(image: Blob, { shape, darkGround }: DecodeOptions): Promise<Uint8Array> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(image);
  } catch {
    throw new Error('This file is not an image the browser can decode (try PNG or JPEG).');
  }
  const { side, channels } = shape;
  const canvas = new OffscreenCanvas(side, side);
  const context = canvas.getContext('2d');
  if (context === null) throw new Error('This browser cannot draw images in a worker.');
  context.drawImage(bitmap, 0, 0, side, side);
  bitmap.close();
  const { data } = context.getImageData(0, 0, side, side);
  const out = new Uint8Array(side * side * channels);
  for (let i = 0; i < side * side; i++) {
    const alpha = data[i * 4 + 3]! / 255;
    const [r, g, b] = [data[i * 4]! * alpha, data[i * 4 + 1]! * alpha, data[i * 4 + 2]! * alpha];
    if (channels === 3) out.set([Math.round(r), Math.round(g), Math.round(b)], i * 3);
    else out[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
  }
  if (!darkGround || channels !== 1) return out;
  const border = [...out].filter((_, i) => {
    const [y, x] = [Math.floor(i / side), i % side];
    return y === 0 || x === 0 || y === side - 1 || x === side - 1;
  });
  const borderMean = border.reduce((sum, v) => sum + v, 0) / border.length;
  return borderMean > LIGHT_BORDER ? out.map((v) => 255 - v) : out;
}

/** Whether decoded RGB pixels are all grey (r = g = b), so a dataset of them can be stored with one channel. */
export function isGrey(rgb: Uint8Array): boolean {
  for (let i = 0; i < rgb.length; i += 3) if (rgb[i] !== rgb[i + 1] || rgb[i] !== rgb[i + 2]) return false;
  return true;
}
