import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAITHFUL_OPTIONS, type GoogLeNetOptions, buildGoogLeNet, layerWeights } from './googlenet';
import type { SafeTensor } from './safetensors';
import { fromTorchTensors, toTorchTensors, torchEntries } from './torchNames';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const TINY: GoogLeNetOptions = { ...FAITHFUL_OPTIONS, resolution: 32, width: 0.0625 };

const VARIANTS: [string, Partial<GoogLeNetOptions>][] = [
  ["d2l's model", {}],
  ["the paper's, with dropout and auxiliary heads", { model: 'paper', inputChannels: 3, auxHeads: true, dropout: true }],
  ['batch norm, factorised 5×5, average-pool branch', { batchNorm: true, factorize5x5: true, poolBranch: 'avg' }],
  ['LeakyReLU with batch norm and auxiliary heads', { activation: 'leaky-relu', batchNorm: true, auxHeads: true }],
  ['ELU, Kaiming init', { activation: 'elu', init: 'kaiming' }],
];

/** Distinct values, so any misplaced one shows. */
function distinctWeights(model: tf.LayersModel): Float32Array[] {
  let next = 0;
  return layerWeights(model).map((variable) => Float32Array.from({ length: variable.read().size }, () => ++next));
}

let models: tf.LayersModel[] = [];
afterEach(() => {
  models.forEach((m) => m.dispose());
  models = [];
});
const build = (options: Partial<GoogLeNetOptions>) => {
  const model = buildGoogLeNet({ ...TINY, ...options });
  models.push(model);
  return model;
};

describe('PyTorch names', () => {
  it.each(VARIANTS)('%s: every weight round-trips exactly through PyTorch layout', (_, options) => {
    const model = build(options);
    const weights = distinctWeights(model);
    const entries = torchEntries(model);
    const tensors = toTorchTensors(entries, weights);
    expect(entries.filter((e) => e.dtype === 'F32')).toHaveLength(weights.length);
    expect(tensors.size).toBe(entries.length);
    const norms = model.layers.filter((l) => l.getClassName() === 'BatchNormalization').length;
    expect(entries.filter((e) => e.key.endsWith('.bn.num_batches_tracked'))).toHaveLength(norms);
    expect(fromTorchTensors(entries, tensors)).toEqual(weights);
  });

  it("names the modules after the layers, as train.py's state_dict does", () => {
    const keys = torchEntries(build({ batchNorm: true, auxHeads: true, factorize5x5: true })).map((e) => e.key);
    expect(keys.slice(0, 6)).toEqual([
      'b1_conv_7x7.conv.weight',
      'b1_conv_7x7.bn.weight',
      'b1_conv_7x7.bn.bias',
      'b1_conv_7x7.bn.running_mean',
      'b1_conv_7x7.bn.running_var',
      'b1_conv_7x7.bn.num_batches_tracked',
    ]);
    expect(keys).toContain('inception_3a.branch3_3x3b.conv.weight');
    expect(keys).toContain('aux1.conv_1x1.bn.running_var');
    expect(keys).toContain('aux2.fc.weight');
    expect(keys).toEqual(expect.arrayContaining(['logits.weight', 'logits.bias', 'aux2.logits.bias']));
    expect(keys.some((k) => k.includes('conv.bias'))).toBe(false);
    expect(new Set(keys).size).toBe(keys.length);
    const plain = torchEntries(build({})).map((e) => e.key);
    expect(plain.slice(0, 2)).toEqual(['b1_conv_7x7.conv.weight', 'b1_conv_7x7.conv.bias']);
  });

  it('lays conv kernels out as OIHW and dense kernels as [out, in], as tf.transpose does', () => {
    const model = build({});
    const weights = layerWeights(model).map((w) => w.read().dataSync() as Float32Array);
    const entries = torchEntries(model);
    const tensors = toTorchTensors(entries, weights);
    for (const { key, layout, weightIndex } of entries) {
      if (layout.kind !== 'conv' && layout.kind !== 'dense') continue;
      const variable = layerWeights(model)[weightIndex!]!.read();
      const expected = tf.tidy(() => tf.transpose(variable, layout.kind === 'conv' ? [3, 2, 0, 1] : [1, 0]));
      expect(tensors.get(key)!.shape, key).toEqual(expected.shape);
      expect(tensors.get(key)!.data, key).toEqual(expected.dataSync());
      expected.dispose();
    }
  });

  it("reorders the auxiliary fc's inputs so PyTorch's C×H×W flattening gives the same outputs", () => {
    // At 128×128 the map after 4a is 8×8 and the auxiliary pool leaves 2×2: the two flattenings differ.
    const model = build({ resolution: 128, auxHeads: true });
    const entries = torchEntries(model);
    const fc = entries.find((e) => e.key === 'aux1.fc.weight')!;
    expect(fc.layout).toMatchObject({ kind: 'flattened-dense', height: 2, width: 2 });
    const tensors = toTorchTensors(entries, layerWeights(model).map((w) => w.read().dataSync() as Float32Array));
    const flatten = model.getLayer('aux1/flatten');
    const probe = tf.model({ inputs: model.inputs, outputs: [flatten.input as tf.SymbolicTensor, model.getLayer('aux1/fc').output as tf.SymbolicTensor] });
    tf.tidy(() => {
      const images = tf.randomUniform([2, 128, 128, 1], 0, 1, 'float32', 5);
      const [map, fcOutput] = probe.predict(images) as tf.Tensor[];
      const torchFlat = tf.transpose(map!, [0, 3, 1, 2]).reshape([2, -1]);
      const weight = tf.tensor(tensors.get('aux1.fc.weight')!.data as Float32Array, fc.shape);
      const bias = tf.tensor(tensors.get('aux1.fc.bias')!.data as Float32Array);
      const torchOutput = tf.relu(tf.matMul(torchFlat, weight, false, true).add(bias));
      expect(tf.max(fcOutput!).dataSync()[0]).toBeGreaterThan(0);
      expect(tf.max(tf.abs(torchOutput.sub(fcOutput!))).dataSync()[0]).toBeLessThan(1e-5);
    });
  });

  it.each<[string, (tensors: Map<string, SafeTensor>) => void, RegExp]>([
    ['a missing key', (t) => t.delete('logits.bias'), /lacks "logits.bias"/],
    ['a missing step counter', (t) => t.delete('b2_conv_1x1.bn.num_batches_tracked'), /lacks "b2_conv_1x1.bn.num_batches_tracked"/],
    ['an extra key', (t) => t.set('fc.bias', { dtype: 'F32', shape: [1], data: new Float32Array(1) }), /has "fc.bias", which this network does not/],
    ['a transposed dense kernel', (t) => t.set('logits.weight', { ...t.get('logits.weight')!, shape: [...t.get('logits.weight')!.shape].reverse() }), /"logits.weight" is F32 \[\d+, 10\]; .* needs F32 \[10, \d+\]/],
    ['a step counter of another dtype', (t) => t.set('b1_conv_7x7.bn.num_batches_tracked', { dtype: 'F32', shape: [], data: new Float32Array(1) }), /needs I64 \[\]/],
  ])('refuses %s, naming it', (_, damage, message) => {
    const model = build({ batchNorm: true });
    const entries = torchEntries(model);
    const tensors = toTorchTensors(entries, distinctWeights(model));
    damage(tensors);
    expect(() => fromTorchTensors(entries, tensors)).toThrow(message);
  });
});
