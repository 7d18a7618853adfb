import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/trainConfig';
import { buildRunNetwork, layerWeights } from '../model/googlenet';
import { decodeSafetensors, encodeSafetensors } from '../model/safetensors';
import type { ModelMetadata } from './modelFile';
import { WEIGHTS_FORMAT, exportSafetensors, readSafetensorsModel } from './weightsFile';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const metadata: ModelMetadata = {
  name: 'shapes v1',
  config: { ...DEFAULT_CONFIG, resolution: 32, width: 0.0625, batchNorm: true, auxHeads: true, factorize5x5: true },
  classes: ['circle', 'square', 'stripes'],
  side: 64,
  channels: 3,
  datasetName: 'shapes',
  epoch: 2,
};

function randomWeights(): Float32Array[] {
  const model = buildRunNetwork(metadata.config, { classCount: 3, channels: 3 });
  const weights = layerWeights(model).map((w) => Float32Array.from({ length: w.read().size }, () => Math.random() - 0.5));
  model.dispose();
  return weights;
}

/** The exported file with its header's metadata or tensors changed. */
function rewritten(change: (contents: ReturnType<typeof decodeSafetensors>) => void): Uint8Array {
  const contents = decodeSafetensors(exportSafetensors(metadata, randomWeights()).bytes);
  change(contents);
  return encodeSafetensors(contents.tensors, contents.metadata);
}

describe('.safetensors weights', () => {
  it('round-trip a saved model exactly, with its settings and classes, leaving no tensors behind', () => {
    const weights = randomWeights();
    const tensorsBefore = tf.memory().numTensors;
    const files = exportSafetensors(metadata, weights);
    expect(readSafetensorsModel(files.bytes)).toEqual({ metadata, weights });
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(files.fileName).toBe('shapes-v1.safetensors');
    const { metadata: header, tensors } = decodeSafetensors(files.bytes);
    expect(header).toEqual({ format: WEIGHTS_FORMAT, version: '1', model: JSON.stringify(metadata) });
    expect(tensors.get('b1_conv_7x7.conv.weight')!.shape).toEqual([4, 3, 7, 7]);
    expect(tensors.get('b1_conv_7x7.bn.num_batches_tracked')).toEqual({ dtype: 'I64', shape: [], data: BigInt64Array.of(0n) });
  });

  it.each<[string, (contents: ReturnType<typeof decodeSafetensors>) => void, RegExp]>([
    ['a bare state_dict, without the playground metadata', (c) => (c.metadata = null), /lacks GoogLeNet Playground's metadata.*train.py writes it/],
    ['metadata of another format', (c) => (c.metadata = { format: 'pt' }), /"format": "googlenet-playground-weights", "version": "1" and "model"/],
    ['a newer version', (c) => (c.metadata = { ...c.metadata!, version: '2' }), /version "2" .* reads version 1/],
    ['model metadata that is not JSON', (c) => (c.metadata = { ...c.metadata!, model: '{' }), /"model" metadata is not JSON/],
    ['model metadata without classes', (c) => (c.metadata = { ...c.metadata!, model: JSON.stringify({ ...metadata, classes: undefined }) }), /incomplete or damaged/],
    ['a missing tensor', (c) => c.tensors.delete('aux2.logits.bias'), /lacks "aux2.logits.bias"/],
    ['an extra tensor', (c) => c.tensors.set('fc.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) }), /has "fc.weight"/],
    ['weights of a wider network than the metadata says', (c) => (c.metadata = { ...c.metadata!, model: JSON.stringify({ ...metadata, config: { ...metadata.config, width: 0.125 } }) }), /"b1_conv_7x7.conv.weight" is F32 \[4, 3, 7, 7\]; .* needs F32 \[8, 3, 7, 7\]/],
  ])('refuse %s, saying what is wrong', (_, change, message) => {
    expect(() => readSafetensorsModel(rewritten(change))).toThrow(message);
  });

  it('refuse a damaged file before reading its metadata', () => {
    const bytes = exportSafetensors(metadata, randomWeights()).bytes;
    expect(() => readSafetensorsModel(bytes.subarray(0, bytes.length - 4))).toThrow(/past the .*-byte data section/);
  });
});
