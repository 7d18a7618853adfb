import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/trainConfig';
import { buildRunNetwork, layerWeights } from '../model/googlenet';
import { type ModelMetadata, exportModelFiles, readModelFiles } from './modelFile';

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

function trainedWeights(): Float32Array[] {
  const model = buildRunNetwork(metadata.config, { classCount: 3, channels: 3 });
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
});
