import * as tf from '@tensorflow/tfjs';
import { strToU8, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/trainConfig';
import { buildRunNetwork, layerWeights } from '../model/googlenet';
import { readZip } from '../data/zip';
import { type ModelMetadata, exportModelFiles, exportModelZip, networkOf, readModelFiles, readModelZip } from './modelFile';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const metadata: ModelMetadata = {
  name: 'shapes v1',
  config: { ...DEFAULT_CONFIG, resolution: 32, width: 0.0625, batchNorm: true, auxHeads: true },
  classes: ['circle', 'square', 'stripes'],
  side: 64,
  channels: 3,
  datasetName: 'shapes',
  epoch: 2,
};

function trainedWeights(from: ModelMetadata = metadata): Float32Array[] {
  const model = buildRunNetwork(from.config, { classCount: from.classes.length, channels: from.channels });
  const weights = layerWeights(model).map((w) => w.read().dataSync().slice() as Float32Array);
  model.dispose();
  return weights;
}

describe('model files', () => {
  it('round-trip a saved model through tfjs\'s format, with its settings and classes', async () => {
    const weights = trainedWeights();
    const files = await exportModelFiles(metadata, weights);
    expect(files.baseName).toBe('shapes-v1');
    const json = JSON.parse(files.json);
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['shapes-v1.weights.bin']);
    const read = readModelFiles(files.json, files.weights);
    expect(read.metadata).toEqual(metadata);
    expect(read.weights).toEqual(weights);
  });

  it('are loadable by tfjs itself', async () => {
    const files = await exportModelFiles(metadata, trainedWeights());
    const json = JSON.parse(files.json);
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: files.weights }),
    );
    expect(model.outputs.map((o) => o.shape)).toEqual([[null, 3], [null, 3], [null, 3]]);
    model.dispose();
  });

  it.each([
    ['not JSON', () => '{"modelTopology":', /not JSON/],
    ['a model from elsewhere', () => JSON.stringify({ modelTopology: {}, weightsManifest: [] }), /not saved by GoogLeNet Playground/],
  ])('refuse %s', async (_, json, message) => {
    expect(() => readModelFiles(json(), new ArrayBuffer(8))).toThrow(message);
  });

  it('refuse weights that do not belong to the model.json', async () => {
    const files = await exportModelFiles(metadata, trainedWeights());
    expect(() => readModelFiles(files.json, files.weights.slice(0, 100))).toThrow(/weights file does not match/);
    const otherWidth = files.json.replace('"width":0.0625', '"width":0.125');
    expect(() => readModelFiles(otherWidth, files.weights)).toThrow(/of the shape this network needs/);
  });

  it('come as one zip that reads back the same, and still read as two files', async () => {
    const weights = trainedWeights();
    const { fileName, bytes } = await exportModelZip(metadata, weights);
    expect(fileName).toBe('shapes-v1.zip');
    const paths = readZip(bytes).map((entry) => entry.path).sort();
    expect(paths).toEqual(['README.txt', 'shapes-v1.json', 'shapes-v1.weights.bin']);
    expect(readModelZip(bytes)).toEqual({ metadata, weights });
  });

  it('refuse a zip without a model in it', () => {
    expect(() => readModelZip(new Uint8Array([1, 2, 3]))).toThrow(/not a zip archive/);
    expect(() => readModelZip(zipSync({ 'a.txt': strToU8('hi') }))).toThrow(/one model .json and one .weights.bin/);
  });

  // Odd and even map sides, PyTorch's padded pools (d2l) and ceil-mode pools (the paper), activations below zero.
  it.each<[string, Partial<ModelMetadata['config']>, number]>([
    ["d2l's ReLU model", {}, 1],
    ['tanh with batch norm, odd map sides', { resolution: 40, activation: 'tanh', batchNorm: true }, 1],
    ["the paper's with LeakyReLU", { model: 'paper', activation: 'leaky-relu', auxHeads: true }, 3],
    ["the paper's with ELU, odd map sides", { model: 'paper', activation: 'elu', resolution: 40 }, 3],
  ])('%s: the download uses only standard layers and predicts what the app does', async (_, changes, channels) => {
    const variant: ModelMetadata = { ...metadata, channels, config: { ...metadata.config, batchNorm: false, auxHeads: false, ...changes } };
    const weights = trainedWeights(variant);
    const files = await exportModelFiles(variant, weights);
    expect(files.json).not.toContain('PoolPadding');
    const json = JSON.parse(files.json);
    const stock = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: files.weights }),
    );
    const app = networkOf(variant, weights);
    const side = variant.config.resolution;
    tf.tidy(() => {
      const images = tf.randomUniform([2, side, side, channels], -1, 1, 'float32', 3);
      const expected = [app.predict(images)].flat();
      const actual = [stock.predict(images)].flat();
      expect(actual).toHaveLength(expected.length);
      actual.forEach((output, i) => expect(output.arraySync()).toEqual(expected[i]!.arraySync()));
    });
    stock.dispose();
    app.dispose();
  });
});
