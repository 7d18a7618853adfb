import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseImages, parseLabels } from './fashionMnist';
import { IdxFormatError, encodeIdx, gunzipIfNeeded, parseIdx } from './idx';

function idx(typeAndDims: number, dims: number[], values: number[]): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  header.setUint32(0, typeAndDims);
  dims.forEach((d, i) => header.setUint32(4 + 4 * i, d));
  const bytes = new Uint8Array(header.byteLength + values.length);
  bytes.set(new Uint8Array(header.buffer));
  bytes.set(values, header.byteLength);
  return bytes;
}

describe('parseIdx', () => {
  it('reads the dimensions and the values after the header', () => {
    const parsed = parseIdx(idx(0x0803, [2, 1, 3], [1, 2, 3, 4, 5, 6]), 'x', 3);
    expect(parsed.dims).toEqual([2, 1, 3]);
    expect([...parsed.data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rejects a wrong magic number, naming the file and both numbers', () => {
    expect(() => parseIdx(idx(0x0801, [3], [0, 1, 2]), 'labels.gz', 3)).toThrow(
      /labels\.gz is not an IDX file of 3-D unsigned bytes: magic number 0x00000801, expected 0x00000803/,
    );
  });

  it('rejects a truncated body and a file that ends inside its header', () => {
    const full = idx(0x0801, [4], [0, 1, 2, 3]);
    expect(() => parseIdx(full.subarray(0, full.length - 1), 'l', 1)).toThrow(/truncated: its header promises 4 values/);
    expect(() => parseIdx(full.subarray(0, 6), 'l', 1)).toThrow(/ends inside its header/);
    expect(() => parseIdx(new Uint8Array([0, 0]), 'l', 1)).toThrow(IdxFormatError);
  });

  it('rejects trailing bytes', () => {
    expect(() => parseIdx(idx(0x0801, [2], [0, 1, 2]), 'l', 1)).toThrow(/too long/);
  });
});

describe('Fashion-MNIST checks', () => {
  it('accepts 28×28 images and labels 0…9', () => {
    const images = parseImages(idx(0x0803, [1, 28, 28], new Array(784).fill(7)), 'i', 1);
    expect(images.length).toBe(784);
    expect([...parseLabels(idx(0x0801, [3], [0, 9, 4]), 'l', 3)]).toEqual([0, 9, 4]);
  });

  it('rejects the wrong image size, count or label range', () => {
    expect(() => parseImages(idx(0x0803, [1, 27, 29], new Array(27 * 29).fill(0)), 'i', 1)).toThrow(/27×29 images/);
    expect(() => parseImages(idx(0x0803, [1, 28, 28], new Array(784).fill(0)), 'i', 2)).toThrow(/holds 1 images, expected 2/);
    expect(() => parseLabels(idx(0x0801, [2], [3, 10]), 'l', 2)).toThrow(/label 10 at index 1/);
  });
});

describe('gunzipIfNeeded', () => {
  it('inflates gzip data and passes through data that is already inflated', async () => {
    const raw = idx(0x0801, [3], [5, 6, 7]);
    expect([...(await gunzipIfNeeded(new Uint8Array(gzipSync(raw)), 'l'))]).toEqual([...raw]);
    expect(await gunzipIfNeeded(raw, 'l')).toBe(raw);
  });

  it('reports a damaged gzip stream', async () => {
    const damaged = new Uint8Array(gzipSync(idx(0x0801, [300], new Array(300).fill(1))));
    await expect(gunzipIfNeeded(damaged.subarray(0, damaged.length - 20), 'labels.gz')).rejects.toThrow(
      /labels\.gz is a damaged gzip file/,
    );
  });
});

describe('encodeIdx', () => {
  it('writes what parseIdx reads back, for images with a channel axis too', () => {
    const values = Uint8Array.from({ length: 2 * 3 * 3 * 3 }, (_, i) => (i * 37) % 256);
    const parsed = parseIdx(encodeIdx([2, 3, 3, 3], values), 'images.idx', 4);
    expect(parsed.dims).toEqual([2, 3, 3, 3]);
    expect([...parsed.data]).toEqual([...values]);
  });

  it('refuses dimensions that do not match the values', () => {
    expect(() => encodeIdx([2, 2], new Uint8Array(3))).toThrow(/need 4 values, not 3/);
  });
});
