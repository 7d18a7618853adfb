import type { ImageDataset } from './dataset';
import { IdxFormatError, gunzipIfNeeded, parseIdx } from './idx';
import type { DatasetShape } from '../domain/dataset';

export const IMAGE_SIDE = 28;

export const CLASS_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

export const FASHION_MNIST_NAME = 'Fashion-MNIST';

/** Fashion-MNIST's classes and image format: 28×28 grey, a bright object on a dark ground. */
export const FASHION_MNIST_SHAPE: DatasetShape = { classes: CLASS_NAMES, side: IMAGE_SIDE, channels: 1 };

export const FASHION_MNIST_FILES = {
  trainImages: { name: 'train-images-idx3-ubyte.gz', count: 60_000 },
  trainLabels: { name: 'train-labels-idx1-ubyte.gz', count: 60_000 },
  testImages: { name: 't10k-images-idx3-ubyte.gz', count: 10_000 },
  testLabels: { name: 't10k-labels-idx1-ubyte.gz', count: 10_000 },
} as const;

export type FashionMnistFile = keyof typeof FASHION_MNIST_FILES;

/** Bytes received so far over all files, and the total when the server tells it. */
export type LoadProgress = (loadedBytes: number, totalBytes: number | null) => void;

/** Reads a file's bytes; browsers pass fetch, Node tests pass the file system. */
export type ByteSource = (
  fileName: string,
  onBytes: (delta: number, total: number | null) => void,
  signal?: AbortSignal,
) => Promise<Uint8Array>;

export function parseImages(bytes: Uint8Array, fileName: string, expectedCount: number): Uint8Array {
  const { dims, data } = parseIdx(bytes, fileName, 3);
  if (dims[1] !== IMAGE_SIDE || dims[2] !== IMAGE_SIDE) {
    throw new IdxFormatError(`${fileName} holds ${dims[1]}×${dims[2]} images, expected ${IMAGE_SIDE}×${IMAGE_SIDE}.`);
  }
  if (dims[0] !== expectedCount) {
    throw new IdxFormatError(`${fileName} holds ${dims[0]} images, expected ${expectedCount}.`);
  }
  return data;
}

export function parseLabels(bytes: Uint8Array, fileName: string, expectedCount: number): Uint8Array {
  const { dims, data } = parseIdx(bytes, fileName, 1);
  if (dims[0] !== expectedCount) {
    throw new IdxFormatError(`${fileName} holds ${dims[0]} labels, expected ${expectedCount}.`);
  }
  const bad = data.findIndex((label) => label >= CLASS_NAMES.length);
  if (bad >= 0) throw new IdxFormatError(`${fileName}: label ${data[bad]} at index ${bad} is not a class 0…9.`);
  return data;
}

/** Downloads the four files in parallel; the first failure cancels the rest, and no progress follows it. */
export async function loadFashionMnist(source: ByteSource, onProgress: LoadProgress = () => {}): Promise<ImageDataset> {
  const totals = new Map<string, number | null>();
  const cancel = new AbortController();
  let loaded = 0;
  const read = async (file: FashionMnistFile) => {
    const { name } = FASHION_MNIST_FILES[file];
    const raw = await source(
      name,
      (delta, total) => {
        if (cancel.signal.aborted) return;
        totals.set(name, total);
        loaded += delta;
        const known = [...totals.values()];
        const allKnown = known.length === 4 && known.every((t) => t !== null);
        onProgress(loaded, allKnown ? known.reduce<number>((a, b) => a + (b ?? 0), 0) : null);
      },
      cancel.signal,
    );
    return gunzipIfNeeded(raw, name);
  };
  const reads = [read('trainImages'), read('trainLabels'), read('testImages'), read('testLabels')] as const;
  reads.forEach((pending) => pending.catch(() => cancel.abort()));
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(reads);
  const f = FASHION_MNIST_FILES;
  return {
    ...FASHION_MNIST_SHAPE,
    train: {
      count: f.trainImages.count,
      images: parseImages(trainImages, f.trainImages.name, f.trainImages.count),
      labels: parseLabels(trainLabels, f.trainLabels.name, f.trainLabels.count),
    },
    test: {
      count: f.testImages.count,
      images: parseImages(testImages, f.testImages.name, f.testImages.count),
      labels: parseLabels(testLabels, f.testLabels.name, f.testLabels.count),
    },
  };
}

export class DataUnavailableError extends Error {
  override name = 'DataUnavailableError';
}

/** A ByteSource over HTTP that reports bytes as they stream in. */
export function fetchSource(baseUrl: string, fetchImpl: typeof fetch = fetch): ByteSource {
  return async (fileName, onBytes, signal) => {
    const url = `${baseUrl.replace(/\/$/, '')}/${fileName}`;
    let response: Response;
    try {
      response = await fetchImpl(url, { signal });
    } catch (error) {
      throw new DataUnavailableError(`Could not download ${fileName}: ${(error as Error).message}`);
    }
    if (!response.ok || response.body === null) {
      throw new DataUnavailableError(`Could not download ${fileName}: the server answered ${response.status} ${response.statusText}.`);
    }
    const lengthHeader = response.headers.get('content-length');
    const encoded = response.headers.get('content-encoding');
    // An encoded body's length counts compressed bytes, so it cannot measure what the reader yields.
    const total = lengthHeader !== null && encoded === null ? Number(lengthHeader) : null;
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
      onBytes(value.length, total);
    }
    if (total !== null && size !== total) {
      throw new DataUnavailableError(`${fileName} arrived incomplete: ${size} of ${total} bytes.`);
    }
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    return bytes;
  };
}
