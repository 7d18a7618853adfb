/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON header naming
 * each tensor's dtype, shape and byte range in the data section, then the raw little-endian tensors. Only the two
 * dtypes a PyTorch GoogLeNet's state_dict needs are read and written: F32 weights and I64 batch counters.
 * Written by hand: the format is small, and npm's `safetensors` package is an unmaintained 0.0.1.
 */

export type SafeTensor =
  | { dtype: 'F32'; shape: number[]; data: Float32Array }
  | { dtype: 'I64'; shape: number[]; data: BigInt64Array };

export type SafeDtype = SafeTensor['dtype'];

export interface SafetensorsContents {
  /** In the order of the file's data section. */
  tensors: Map<string, SafeTensor>;
  /** The header's `__metadata__` (string to string), or null when the file has none. */
  metadata: Record<string, string> | null;
}

const BYTES_PER_ELEMENT: Record<SafeDtype, number> = { F32: 4, I64: 8 };
const METADATA_KEY = '__metadata__';
const HEADER_LENGTH_BYTES = 8;

const elementCount = (shape: readonly number[]) => shape.reduce((product, side) => product * side, 1);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Lays the tensors out in the map's order; the header is padded with spaces so the data starts 8-byte aligned. */
export function encodeSafetensors(tensors: ReadonlyMap<string, SafeTensor>, metadata: Record<string, string> | null): Uint8Array {
  const header: Record<string, unknown> = metadata === null ? {} : { [METADATA_KEY]: metadata };
  let offset = 0;
  for (const [key, tensor] of tensors) {
    if (key === METADATA_KEY) throw new Error(`"${METADATA_KEY}" is reserved for the header's metadata, not a tensor name.`);
    if (tensor.data.length !== elementCount(tensor.shape)) {
      throw new Error(`Tensor "${key}" has ${tensor.data.length} values for shape [${tensor.shape.join(', ')}].`);
    }
    const end = offset + tensor.data.length * BYTES_PER_ELEMENT[tensor.dtype];
    header[key] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, end] };
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(HEADER_LENGTH_BYTES + headerLength + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  bytes.set(json, HEADER_LENGTH_BYTES);
  bytes.fill(0x20, HEADER_LENGTH_BYTES + json.length, HEADER_LENGTH_BYTES + headerLength);
  let position = HEADER_LENGTH_BYTES + headerLength;
  for (const tensor of tensors.values()) {
    if (tensor.dtype === 'F32') {
      for (const value of tensor.data) view.setFloat32((position += 4) - 4, value, true);
    } else {
      for (const value of tensor.data) view.setBigInt64((position += 8) - 8, value, true);
    }
  }
  return bytes;
}

interface HeaderEntry {
  key: string;
  dtype: SafeDtype;
  shape: number[];
  begin: number;
  end: number;
}

function readEntry(key: string, value: unknown): HeaderEntry {
  if (!isRecord(value)) throw new Error(`The header's entry for "${key}" is not an object.`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (dtype !== 'F32' && dtype !== 'I64') {
    throw new Error(`Tensor "${key}" has dtype ${JSON.stringify(dtype)}; only F32 and I64 are read.`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) throw new Error(`Tensor "${key}" has no valid shape.`);
  const pair = Array.isArray(offsets) && offsets.length === 2 && offsets.every(isCount) ? (offsets as [number, number]) : null;
  if (pair === null || pair[0] > pair[1]) throw new Error(`Tensor "${key}" has no valid data_offsets [begin, end].`);
  const [begin, end] = pair;
  const expected = elementCount(shape as number[]) * BYTES_PER_ELEMENT[dtype];
  if (end - begin !== expected) {
    throw new Error(`Tensor "${key}" spans ${end - begin} bytes, but ${dtype} of shape [${shape.join(', ')}] takes ${expected}.`);
  }
  return { key, dtype, shape: shape as number[], begin, end };
}

function readMetadata(value: unknown): Record<string, string> | null {
  if (value === undefined) return null;
  if (!isRecord(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw new Error(`The header's "${METADATA_KEY}" is not a map of strings.`);
  }
  return value as Record<string, string>;
}

/**
 * Reads a .safetensors file, refusing (with what is wrong) anything whose header does not describe its bytes
 * exactly: the tensors must tile the data section, each with the byte length its dtype and shape give.
 */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsContents {
  if (bytes.length < HEADER_LENGTH_BYTES) {
    throw new Error(`The file is ${bytes.length} bytes long: too short for a .safetensors file, which starts with an 8-byte header length.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(bytes.length - HEADER_LENGTH_BYTES)) {
    throw new Error(`The header claims ${declared} bytes, past the end of the ${bytes.length}-byte file.`);
  }
  const headerLength = Number(declared);
  const dataStart = HEADER_LENGTH_BYTES + headerLength;
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER_LENGTH_BYTES, dataStart)));
  } catch {
    throw new Error('The header is not JSON: this is not a .safetensors file, or it is damaged.');
  }
  if (!isRecord(header)) throw new Error('The header is not a JSON object of tensors.');
  const metadata = readMetadata(header[METADATA_KEY]);
  const entries = Object.entries(header)
    .filter(([key]) => key !== METADATA_KEY)
    .map(([key, value]) => readEntry(key, value))
    .sort((a, b) => a.begin - b.begin || a.end - b.end);

  const dataLength = bytes.length - dataStart;
  let covered = 0;
  for (const entry of entries) {
    if (entry.end > dataLength) {
      throw new Error(`Tensor "${entry.key}" ends at byte ${entry.end}, past the ${dataLength}-byte data section.`);
    }
    if (entry.begin !== covered) {
      const problem = entry.begin < covered ? 'overlaps the tensor before it' : `leaves bytes ${covered}–${entry.begin} unused`;
      throw new Error(`Tensor "${entry.key}" ${problem}: the tensors must tile the data section exactly.`);
    }
    covered = entry.end;
  }
  if (covered !== dataLength) {
    throw new Error(`The tensors cover ${covered} of the data section's ${dataLength} bytes: the file has bytes no tensor claims.`);
  }

  const tensors = new Map<string, SafeTensor>();
  for (const { key, dtype, shape, begin } of entries) {
    const count = elementCount(shape);
    const at = dataStart + begin;
    if (dtype === 'F32') {
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(at + 4 * i, true);
      tensors.set(key, { dtype, shape, data });
    } else {
      const data = new BigInt64Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getBigInt64(at + 8 * i, true);
      tensors.set(key, { dtype, shape, data });
    }
  }
  return { tensors, metadata };
}
