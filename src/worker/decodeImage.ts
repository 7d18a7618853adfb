import { IMAGE_SIDE } from '../data/fashionMnist';

/** A border brighter than this (0–255) means a dark object on a light ground, the opposite of Fashion-MNIST's. */
const LIGHT_BORDER = 127;

/**
 * Decodes a dropped image or a drawing into what the network was trained on: 28×28 grey, 0–255, a bright object on
 * a dark ground. The image is stretched to a square (Fashion-MNIST's are centred squares); a photo of a dark object
 * on a light ground is inverted, judged by its border.
 */
export async function decodeToFashionMnist(image: Blob): Promise<Uint8Array> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(image);
  } catch {
    throw new Error('This file is not an image the browser can decode (try PNG or JPEG).');
  }
  const canvas = new OffscreenCanvas(IMAGE_SIDE, IMAGE_SIDE);
  const context = canvas.getContext('2d');
  if (context === null) throw new Error('This browser cannot draw images in a worker.');
  context.drawImage(bitmap, 0, 0, IMAGE_SIDE, IMAGE_SIDE);
  bitmap.close();
  const { data } = context.getImageData(0, 0, IMAGE_SIDE, IMAGE_SIDE);
  const grey = new Uint8Array(IMAGE_SIDE * IMAGE_SIDE);
  for (let i = 0; i < grey.length; i++) {
    // Transparent pixels (a drawing's untouched ground) count as black.
    const alpha = data[i * 4 + 3]! / 255;
    grey[i] = Math.round(alpha * (0.299 * data[i * 4]! + 0.587 * data[i * 4 + 1]! + 0.114 * data[i * 4 + 2]!));
  }
  const border = [...grey].filter((_, i) => {
    const [y, x] = [Math.floor(i / IMAGE_SIDE), i % IMAGE_SIDE];
    return y === 0 || x === 0 || y === IMAGE_SIDE - 1 || x === IMAGE_SIDE - 1;
  });
  const borderMean = border.reduce((sum, v) => sum + v, 0) / border.length;
  return borderMean > LIGHT_BORDER ? grey.map((v) => 255 - v) : grey;
}
