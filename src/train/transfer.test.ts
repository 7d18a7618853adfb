import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/trainConfig';
import { buildRunNetwork } from '../model/googlenet';
import { partOf } from '../model/layerParts';
import { freezeThrough } from './transfer';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TINY = { ...DEFAULT_CONFIG, resolution: 32, width: 0.0625, auxHeads: true };

describe('freezeThrough', () => {
  it('freezes exactly the layers the builder put in stages b1 to the one given, whatever their names', () => {
    const model = buildRunNetwork(TINY);
    const renamed = model.getLayer('inception_3a/branch1_1x1');
    Object.assign(renamed, { name: 'some_other_name' });
    freezeThrough(model, 'b3');
    const frozen = model.layers.filter((layer) => !layer.trainable && layer.countParams() > 0);
    expect(frozen).toContain(renamed);
    expect(new Set(frozen.map(partOf))).toEqual(new Set(['b1', 'b2', 'b3']));
    const trained = model.layers.filter((layer) => layer.trainable && layer.countParams() > 0);
    expect(new Set(trained.map(partOf))).toEqual(new Set(['b4', 'b5', 'classifier']));
    model.dispose();
  });

  it('refuses a network the builder did not make, instead of freezing nothing', () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1, name: 'b1_conv_7x7' })] });
    expect(() => freezeThrough(model, 'b1')).toThrow(/not made by the GoogLeNet builder/);
    model.dispose();
  });
});
