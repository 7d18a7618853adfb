import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { networkOf } from './modelFile';
import { readSafetensorsModel } from './weightsFile';

/**
 * Written by train.py's model (scripts/pytorch/check_export.py --write-fixtures): a few SGD updates on a 32×32,
 * width-0.125 network with batch norm and auxiliary heads, then its eval-mode logits for `input` (NHWC).
 */
interface TorchLogits {
  input: number[];
  inputShape: [number, number, number, number];
  logits: number[];
  aux: number[][];
}

const FIXTURES = new URL('../../scripts/pytorch/fixtures/', import.meta.url);

/** The PyTorch side commits these; without them the exchange is unproven, so their absence fails, saying how to make them. */
function fixture(url: URL): Buffer {
  if (!existsSync(url)) throw new Error(`${url.pathname} is missing: /usr/bin/python3 scripts/pytorch/check_export.py --write-fixtures writes it.`);
  return readFileSync(url);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe("weights written by train.py's PyTorch model", () => {
  it('load as a saved model whose network gives PyTorch\'s logits to 1e-4', () => {
    const bytes = new Uint8Array(fixture(new URL('torch-bn-aux.safetensors', FIXTURES)));
    const expected = JSON.parse(fixture(new URL('torch-bn-aux.logits.json', FIXTURES)).toString('utf8')) as TorchLogits;
    const { metadata, weights } = readSafetensorsModel(bytes);
    expect(metadata.config).toMatchObject({ resolution: 32, width: 0.125, batchNorm: true, auxHeads: true });
    expect(metadata.classes).toHaveLength(10);
    const model = networkOf(metadata, weights);
    tf.tidy(() => {
      const outputs = [model.predict(tf.tensor4d(expected.input, expected.inputShape))].flat();
      const reference = [expected.logits, ...expected.aux];
      expect(outputs).toHaveLength(reference.length);
      outputs.forEach((output, i) => {
        const values = output.dataSync();
        expect(values).toHaveLength(reference[i]!.length);
        const worst = Math.max(...reference[i]!.map((value, j) => Math.abs(values[j]! - value)));
        expect(worst, `output ${i}`).toBeLessThan(1e-4);
      });
    });
    model.dispose();
  });
});
