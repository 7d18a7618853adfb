/**
 * The IDX format of (Fashion-)MNIST: a big-endian header (two zero bytes, a type code, the number of dimensions,
 * then one uint32 per dimension) followed by the raw values.
 */

const UNSIGNED_BYTE = 0x08;

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

export class IdxFormatError extends Error {
  override name = 'IdxFormatError';
}

export function parseIdx(bytes: Uint8Array, fileName: string, expectedDims: number): IdxArray {
  if (bytes.length < 4) throw new IdxFormatError(`${fileName} is too short (${bytes.length} bytes) to be an IDX file.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const expectedMagic = (UNSIGNED_BYTE << 8) | expectedDims;
  if (magic !== expectedMagic) {
    throw new IdxFormatError(
      `${fileName} is not an IDX file of ${expectedDims}-D unsigned bytes: magic number 0x${magic
        .toString(16)
        .padStart(8, '0')}, expected 0x${expectedMagic.toString(16).padStart(8, '0')}.`,
    );
  }
  const headerBytes = 4 + 4 * expectedDims;
  if (bytes.length < headerBytes) throw new IdxFormatError(`${fileName} ends inside its header.`);
  const dims = Array.from({ length: expectedDims }, (_, i) => view.getUint32(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const available = bytes.length - headerBytes;
  if (available !== count) {
    throw new IdxFormatError(
      `${fileName} is ${available < count ? 'truncated' : 'too long'}: its header promises ${count} values` +
        `${dims.length > 1 ? ` (${dims.join('×')})` : ''} but it holds ${available}.`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/**
 * Some servers send .gz files with Content-Encoding: gzip, so the browser has already inflated them;
 * the magic bytes tell which case this is.
 */
export async function gunzipIfNeeded(bytes: Uint8Array, fileName: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new IdxFormatError(`${fileName} is a damaged gzip file (${(error as Error).message}).`);
  }
}

/** Writes unsigned bytes in the IDX format, as an exported experiment's data files for PyTorch. */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new IdxFormatError(`IDX dimensions ${dims.join('×')} need ${count} values, not ${data.length}.`);
  const headerBytes = 4 + 4 * dims.length;
  const bytes = new Uint8Array(headerBytes + data.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, (UNSIGNED_BYTE << 8) | dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  bytes.set(data, headerBytes);
  return bytes;
}
