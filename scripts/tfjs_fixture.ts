/**
 * Writes the fixtures of src/train/stockTfjs.test.ts: tfjs downloads (the app's zip) and the logits the app's own
 * network gives for one input batch, which stock @tensorflow/tfjs must reproduce from the zip alone.
 *     npx tsx scripts/tfjs_fixture.ts
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { DEFAULT_CONFIG, type TrainConfig } from '../src/config/trainConfig';
import { type ModelMetadata, exportModelZip, networkOf } from '../src/train/modelFile';
import { fixtureInput, fixtureWeights } from './fixtureNetwork';

const DIR = 'src/train/fixtures';

/** ReLU with batch norm and auxiliary heads; LeakyReLU, whose outputs go below zero, with ceil-mode pools on odd sides. */
const CASES: Record<string, { config: Partial<TrainConfig>; channels: number }> = {
  relu: { config: { batchNorm: true, auxHeads: true }, channels: 1 },
  'leaky-relu': { config: { model: 'paper', activation: 'leaky-relu', dropout: true, resolution: 40 }, channels: 3 },
};

await tf.setBackend('cpu');
mkdirSync(DIR, { recursive: true });
for (const [name, { config, channels }] of Object.entries(CASES)) {
  const metadata: ModelMetadata = {
    name: `stock-${name}`,
    config: { ...DEFAULT_CONFIG, resolution: 32, width: 0.0625, seed: 7, ...config },
    classes: ['a', 'b', 'c', 'd'],
    side: 28,
    channels,
    datasetName: 'fixture',
    epoch: 0,
  };
  const weights = fixtureWeights(metadata.config, metadata.classes.length, channels);
  const app = networkOf(metadata, weights);
  const side = metadata.config.resolution;
  const inputShape: [number, number, number, number] = [2, side, side, channels];
  const input = fixtureInput(inputShape, 11);
  const logits = [app.predict(input)].flat()[0]!;
  const { bytes } = await exportModelZip(metadata, weights);
  writeFileSync(`${DIR}/stock-${name}.zip`, bytes);
  const expected = { input: [...input.dataSync()], inputShape, logits: [...logits.dataSync()] };
  writeFileSync(`${DIR}/stock-${name}.logits.json`, JSON.stringify(expected) + '\n');
  console.log(`wrote ${DIR}/stock-${name}.zip (${bytes.length} bytes) and its logits`);
  app.dispose();
}
