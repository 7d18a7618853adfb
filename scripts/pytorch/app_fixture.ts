/**
 * Writes the app's side of the PyTorch weight exchange: for each case, the .safetensors file the app exports and
 * the logits its own network gives (inference mode) for one input batch. The PyTorch check loads
 * each file into train.py's model and compares the logits.
 *     npx tsx scripts/pytorch/app_fixture.ts
 * Writes scripts/pytorch/fixtures/app-<case>.safetensors and app-<case>.logits.json:
 *     {"input": NHWC values, "inputShape": [N, H, W, C], "logits": N × classes values, "aux": [each head's logits]}
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { DEFAULT_CONFIG, type TrainConfig } from '../../src/config/trainConfig';
import { type ModelMetadata, networkOf } from '../../src/train/modelFile';
import { exportSafetensors } from '../../src/train/weightsFile';
import { fixtureInput, fixtureWeights } from '../fixtureNetwork';

const DIR = 'scripts/pytorch/fixtures';

const CASES: Record<string, { config: Partial<TrainConfig>; channels: number }> = {
  'bn-aux': { config: { batchNorm: true, auxHeads: true, factorize5x5: true, poolBranch: 'avg' }, channels: 1 },
  'paper-leaky': { config: { model: 'paper', dropout: true, activation: 'leaky-relu' }, channels: 3 },
};

await tf.setBackend('cpu');
mkdirSync(DIR, { recursive: true });
for (const [name, { config, channels }] of Object.entries(CASES)) {
  const metadata: ModelMetadata = {
    name: `app-${name}`,
    config: { ...DEFAULT_CONFIG, resolution: 32, width: 0.125, seed: 3, ...config },
    classes: ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'],
    side: 28,
    channels,
    datasetName: 'Fashion-MNIST',
    epoch: 0,
  };
  const weights = fixtureWeights(metadata.config, metadata.classes.length, channels);
  const network = networkOf(metadata, weights);
  const side = metadata.config.resolution;
  const inputShape: [number, number, number, number] = [2, side, side, channels];
  const input = fixtureInput(inputShape, 5);
  const [logits, ...aux] = [network.predict(input)].flat();
  writeFileSync(`${DIR}/app-${name}.safetensors`, exportSafetensors(metadata, weights).bytes);
  const expected = { input: [...input.dataSync()], inputShape, logits: [...logits!.dataSync()], aux: aux.map((head) => [...head.dataSync()]) };
  writeFileSync(`${DIR}/app-${name}.logits.json`, JSON.stringify(expected) + '\n');
  console.log(`wrote ${DIR}/app-${name}.safetensors and its logits`);
  network.dispose();
}
