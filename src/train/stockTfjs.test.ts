// Only the package and the files: the download must load where the playground's code and classes are absent.
import * as tf from '@tensorflow/tfjs';
import { unzipSync } from 'fflate';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';

/** Written by scripts/tfjs_fixture.ts: the app's network's logits for `input`. */
interface ExpectedLogits {
  input: number[];
  inputShape: [number, number, number, number];
  logits: number[];
}

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(['relu', 'leaky-relu'])('a %s model downloaded from the playground', (name) => {
  it('loads in stock @tensorflow/tfjs from the zip alone and gives the app\'s logits to 1e-5', async () => {
    const files = unzipSync(readFileSync(fixture(`stock-${name}.zip`)));
    const jsonPath = Object.keys(files).find((path) => path.endsWith('.json'))!;
    const json = JSON.parse(new TextDecoder().decode(files[jsonPath]));
    const [weightsPath] = json.weightsManifest[0].paths as string[];
    const weightData = files[weightsPath!]!.slice().buffer;
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }),
    );
    const expected = JSON.parse(readFileSync(fixture(`stock-${name}.logits.json`), 'utf8')) as ExpectedLogits;
    const logits = tf.tidy(() => [model.predict(tf.tensor4d(expected.input, expected.inputShape))].flat()[0]!.dataSync());
    expect(logits).toHaveLength(expected.logits.length);
    const worst = Math.max(...expected.logits.map((value, i) => Math.abs(logits[i]! - value)));
    expect(worst).toBeLessThan(1e-5);
    model.dispose();
  });
});
