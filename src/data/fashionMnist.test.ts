import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { type ByteSource, CLASS_NAMES, DataUnavailableError, fetchSource, loadFashionMnist } from './fashionMnist';

const DATA_DIR = new URL('../../public/data/fashion-mnist/', import.meta.url);
const diskSource: ByteSource = async (name, onBytes) => {
  const bytes = new Uint8Array(await readFile(new URL(name, DATA_DIR)));
  onBytes(bytes.length, bytes.length);
  return bytes;
};

describe('the committed Fashion-MNIST files', () => {
  it('hold the official 60,000 / 10,000 split with balanced classes', async () => {
    const progress: number[] = [];
    const data = await loadFashionMnist(diskSource, (loaded) => progress.push(loaded));
    expect(data.train.count).toBe(60_000);
    expect(data.test.count).toBe(10_000);
    expect(data.train.images.length).toBe(60_000 * 784);
    const perClass = new Array(CLASS_NAMES.length).fill(0);
    for (const label of data.train.labels) perClass[label]++;
    expect(perClass).toEqual(new Array(10).fill(6000));
    expect(data.train.labels[0]).toBe(9); // the first training image is an ankle boot
    expect(progress.length).toBe(4);
  });
});

describe('loadFashionMnist', () => {
  it('fails with the first broken file, cancels the other downloads and reports no progress after it', async () => {
    const aborted: string[] = [];
    let progressAfterFailure = 0;
    let failed = false;
    const source: ByteSource = (name, onBytes, signal) =>
      new Promise((_, reject) => {
        if (name.startsWith('t10k-labels')) {
          failed = true;
          reject(new DataUnavailableError(`Could not download ${name}: the server answered 404 Not Found.`));
          return;
        }
        signal?.addEventListener('abort', () => {
          aborted.push(name);
          onBytes(10, 100);
          reject(signal.reason);
        });
      });
    const loading = loadFashionMnist(source, () => {
      if (failed) progressAfterFailure++;
    });
    await expect(loading).rejects.toThrow('Could not download t10k-labels-idx1-ubyte.gz: the server answered 404');
    expect(aborted.sort()).toEqual(['t10k-images-idx3-ubyte.gz', 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']);
    expect(progressAfterFailure).toBe(0);
  });
});

describe('fetchSource', () => {
  it('reports an HTTP error with the file name', async () => {
    const notFound = (async () => new Response('missing', { status: 404, statusText: 'Not Found' })) as typeof fetch;
    await expect(fetchSource('/data', notFound)('train-labels-idx1-ubyte.gz', () => {})).rejects.toThrow(
      new DataUnavailableError('Could not download train-labels-idx1-ubyte.gz: the server answered 404 Not Found.'),
    );
  });

  it('streams the body and counts the bytes', async () => {
    const body = new Uint8Array([1, 2, 3, 4, 5]);
    const ok = (async () => new Response(body, { headers: { 'content-length': '5' } })) as typeof fetch;
    const seen: number[] = [];
    const bytes = await fetchSource('/data/', ok)('x.gz', (delta, total) => seen.push(delta, total ?? -1));
    expect([...bytes]).toEqual([1, 2, 3, 4, 5]);
    expect(seen).toEqual([5, 5]);
  });

  it('fails loudly when fewer bytes arrive than announced', async () => {
    const short = (async () => new Response(new Uint8Array(3), { headers: { 'content-length': '10' } })) as typeof fetch;
    await expect(fetchSource('/data', short)('x.gz', () => {})).rejects.toThrow(/arrived incomplete: 3 of 10 bytes/);
  });
});
