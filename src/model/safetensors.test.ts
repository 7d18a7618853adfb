import { describe, expect, it } from 'vitest';
import { type SafeTensor, decodeSafetensors, encodeSafetensors } from './safetensors';

const TENSORS = new Map<string, SafeTensor>([
  ['conv.weight', { dtype: 'F32', shape: [2, 1, 1, 3], data: Float32Array.from([1.5, -2, 3e-8, Math.PI, -0, 7]) }],
  ['bn.num_batches_tracked', { dtype: 'I64', shape: [], data: BigInt64Array.from([123456789012n]) }],
  ['empty', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) }],
  ['bias', { dtype: 'F32', shape: [2], data: Float32Array.from([0.25, -1e30]) }],
]);
const METADATA = { format: 'test', model: '{"name":"é"}' };

/** A file with the given header and data section, its header padded as encodeSafetensors pads it. */
function fileWith(header: unknown, dataLength: number, headerText = JSON.stringify(header)): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const bytes = new Uint8Array(8 + json.length + dataLength);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  return bytes;
}

const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

describe('safetensors', () => {
  it('round-trips F32 and I64 tensors, bit for bit, with the metadata and the order kept', () => {
    const bytes = encodeSafetensors(TENSORS, METADATA);
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual(METADATA);
    expect([...tensors.keys()]).toEqual([...TENSORS.keys()]);
    for (const [key, tensor] of TENSORS) expect(tensors.get(key), key).toEqual(tensor);
    expect(Object.is(tensors.get('conv.weight')!.data[4], -0)).toBe(true);
  });

  it('writes the layout the reference implementation reads: u64 header length, space-padded JSON, little-endian data', () => {
    const bytes = encodeSafetensors(new Map([['x', { dtype: 'F32', shape: [1], data: Float32Array.from([1]) }]]), null);
    const view = new DataView(bytes.buffer);
    const headerLength = Number(view.getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
    expect(header.trimEnd()).toBe('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
    expect(header.slice(header.trimEnd().length)).toMatch(/^ *$/);
    expect([...bytes.subarray(8 + headerLength)]).toEqual([0x00, 0x00, 0x80, 0x3f]);
    expect(decodeSafetensors(bytes).metadata).toBeNull();
  });

  it('reads a file whose data section is not aligned in its buffer', () => {
    const bytes = encodeSafetensors(TENSORS, METADATA);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(decodeSafetensors(shifted.subarray(3)).tensors.get('bias')).toEqual(TENSORS.get('bias'));
  });

  it('refuses to write a tensor whose data does not fill its shape', () => {
    const wrong = new Map<string, SafeTensor>([['x', { dtype: 'F32', shape: [3], data: new Float32Array(2) }]]);
    expect(() => encodeSafetensors(wrong, null)).toThrow(/2 values for shape \[3\]/);
  });

  const headerLengthPastEnd = () => {
    const bytes = encodeSafetensors(TENSORS, null);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(bytes.length), true);
    return bytes;
  };

  it.each<[string, () => Uint8Array, RegExp]>([
    ['a file shorter than 8 bytes', () => new Uint8Array(7), /too short/],
    ['a header length past the end', headerLengthPastEnd, /past the end/],
    ['a header length of 2^64 - 1', () => new Uint8Array(16).fill(0xff), /past the end/],
    ['a header that is not JSON', () => fileWith(null, 0, '{"x": [1, 2'), /not JSON/],
    ['a header that is not UTF-8', () => fileWith(null, 0, '"\uFFFD"').map((b) => (b === 0xef ? 0xff : b)), /not JSON/],
    ['a header that is a JSON array', () => fileWith([], 0), /not a JSON object/],
    ['an entry that is not an object', () => fileWith({ x: 3 }, 0), /"x" is not an object/],
    ['an unknown dtype', () => fileWith({ x: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, 4), /dtype "F16"/],
    ['a shape with a negative side', () => fileWith({ x: f32([-1], 0, 0) }, 0), /no valid shape/],
    ['a shape with a fractional side', () => fileWith({ x: f32([1.5], 0, 6) }, 6), /no valid shape/],
    ['offsets that run backwards', () => fileWith({ x: f32([0], 4, 0) }, 4), /no valid data_offsets/],
    ['offsets that are not a pair', () => fileWith({ x: { dtype: 'F32', shape: [1], data_offsets: [0] } }, 4), /no valid data_offsets/],
    ['a byte length that is not the shape times the dtype size', () => fileWith({ x: f32([2], 0, 4) }, 4), /spans 4 bytes.*takes 8/],
    ['offsets past the data section', () => fileWith({ x: f32([2], 0, 8) }, 4), /past the 4-byte data section/],
    ['overlapping tensors', () => fileWith({ x: f32([2], 0, 8), y: f32([2], 4, 12) }, 12), /"y" overlaps/],
    ['a gap between tensors', () => fileWith({ x: f32([1], 0, 4), y: f32([1], 8, 12) }, 12), /"y" leaves bytes 4–8 unused/],
    ['bytes after the last tensor', () => fileWith({ x: f32([1], 0, 4) }, 8), /cover 4 of the data section's 8 bytes/],
    ['metadata that is not a map of strings', () => fileWith({ __metadata__: { version: 1 } }, 0), /"__metadata__" is not a map of strings/],
  ])('refuses %s, saying what is wrong', (_, file, message) => {
    expect(() => decodeSafetensors(file())).toThrow(message);
  });

  it('refuses every truncation of a valid file', () => {
    const bytes = encodeSafetensors(TENSORS, METADATA);
    for (let length = 0; length < bytes.length; length++) {
      expect(() => decodeSafetensors(bytes.subarray(0, length)), `${length} bytes`).toThrow();
    }
  });
});
