import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_PAPER_RESOLUTION } from '../config/trainConfig';
import {
  AUX_HEAD,
  FAITHFUL_OPTIONS,
  PAPER_OPTIONS,
  PoolPadding,
  INCEPTION_STAGES,
  type InceptionChannels,
  STAGE_OUTPUT_LAYERS,
  STEM,
  buildGoogLeNet,
  scaleChannels,
  scaleInception,
} from './googlenet';
import { partOf } from './layerParts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const convParams = (k: number, cin: number, cout: number) => k * k * cin * cout + cout;

/** An auxiliary head from the paper's sizes: 1×1 conv 128, dense 1024 on the pooled side², dense to the classes. */
function auxParams(inputChannels: number, pooledSide: number, numClasses: number): number {
  const conv = convParams(1, inputChannels, AUX_HEAD.conv);
  const hidden = pooledSide * pooledSide * AUX_HEAD.conv * AUX_HEAD.hidden + AUX_HEAD.hidden;
  return conv + hidden + AUX_HEAD.hidden * numClasses + numClasses;
}

/** Counts weights from the channel table alone, the way one would by hand from the paper. */
function countFromTable(width: number, inputChannels: number, numClasses: number): number {
  const w = (c: number) => scaleChannels(c, width);
  let total = convParams(7, inputChannels, w(STEM.conv1.channels));
  total += convParams(1, w(STEM.conv1.channels), w(STEM.conv2Reduce.channels));
  total += convParams(3, w(STEM.conv2Reduce.channels), w(STEM.conv2.channels));
  let channels = w(STEM.conv2.channels);
  for (const spec of INCEPTION_STAGES.flat()) {
    const c: InceptionChannels = scaleInception(spec, width);
    total += convParams(1, channels, c.branch1);
    total += convParams(1, channels, c.branch2[0]) + convParams(3, c.branch2[0], c.branch2[1]);
    total += convParams(1, channels, c.branch3[0]) + convParams(5, c.branch3[0], c.branch3[1]);
    total += convParams(1, channels, c.branch4);
    channels = c.branch1 + c.branch2[1] + c.branch3[1] + c.branch4;
  }
  return total + channels * numClasses + numClasses;
}

describe('GoogLeNet, d2l variant at 96×96', () => {
  let model: tf.LayersModel;
  beforeAll(() => {
    model = buildGoogLeNet(FAITHFUL_OPTIONS);
  });
  afterAll(() => model.dispose());

  it('has the stage output shapes of the d2l chapter', () => {
    const shapes = STAGE_OUTPUT_LAYERS.map((name) => model.getLayer(name).outputShape);
    // NHWC here; d2l prints NCHW: 64×24×24, 192×12×12, 480×6×6, 832×3×3, 1024, 10.
    expect(shapes).toEqual([
      [null, 24, 24, 64],
      [null, 12, 12, 192],
      [null, 6, 6, 480],
      [null, 3, 3, 832],
      [null, 1024],
      [null, 10],
    ]);
  });

  it('has exactly the parameters the channel table implies', () => {
    expect(model.countParams()).toBe(countFromTable(1, 1, 10));
    expect(model.countParams()).toBe(5_977_530);
  });

  it('every Inception block concatenates its four branches', () => {
    expect(model.getLayer('inception_3a/concat').outputShape).toEqual([null, 12, 12, 256]);
    expect(model.getLayer('inception_5b/concat').outputShape).toEqual([null, 3, 3, 1024]);
  });
});

describe('reduced GoogLeNet for classroom runs', () => {
  it('scales every channel count by the width and keeps at least one channel', () => {
    expect(scaleChannels(16, 0.05)).toBe(1);
    expect(scaleChannels(192, 0.25)).toBe(48);
    const model = buildGoogLeNet({ ...FAITHFUL_OPTIONS, resolution: 32, width: 0.25 });
    expect(model.countParams()).toBe(countFromTable(0.25, 1, 10));
    expect(model.getLayer('b5_global_pool').outputShape).toEqual([null, scaleChannels(1024, 0.25)]);
    const logits = tf.tidy(() => (model.predict(tf.zeros([2, 32, 32, 1])) as tf.Tensor).shape);
    expect(logits).toEqual([2, 10]);
    model.dispose();
  });

  it('is reproducible from its seed', () => {
    const weightsOf = (seed: number) => {
      const model = buildGoogLeNet({ ...FAITHFUL_OPTIONS, resolution: 32, width: 0.1, seed });
      const values = model.getLayer('b1_conv_7x7').getWeights()[0]!.dataSync().slice(0, 20);
      model.dispose();
      return [...values];
    };
    expect(weightsOf(3)).toEqual(weightsOf(3));
    expect(weightsOf(3)).not.toEqual(weightsOf(4));
  });

  it("starts from Xavier-uniform weights and PyTorch's default biases, as d2l does", () => {
    const model = buildGoogLeNet({ ...FAITHFUL_OPTIONS, resolution: 32, width: 0.5 });
    const [kernel, bias] = model.getLayer('inception_4a/branch2_3x3').getWeights();
    const [kh, kw, cin, cout] = kernel!.shape as number[];
    const limit = Math.sqrt(6 / (kh! * kw! * (cin! + cout!)));
    const values = kernel!.dataSync();
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.9 * limit);
    const biasBound = 1 / Math.sqrt(kh! * kw! * cin!);
    const biases = [...bias!.dataSync()];
    expect(Math.max(...biases.map(Math.abs))).toBeLessThanOrEqual(biasBound);
    expect(new Set(biases).size).toBe(biases.length);
    model.dispose();
  });
});

describe("the paper's GoogLeNet (3×224×224, 1000 classes)", () => {
  // PyTorch's counts for the same networks: `python3 scripts/parity/make_fixture.py --counts`.
  const PYTORCH_PAPER_PARAMS = 6_998_552;
  const PYTORCH_PAPER_WITH_AUX_PARAMS = 13_378_280;

  it('has the paper\'s feature-map sizes, from max pools in ceil mode: 56, 28, 14, 7', () => {
    const model = buildGoogLeNet({ ...PAPER_OPTIONS, auxHeads: false });
    expect(STAGE_OUTPUT_LAYERS.map((name) => model.getLayer(name).outputShape)).toEqual([
      [null, 56, 56, 64],
      [null, 28, 28, 192],
      [null, 14, 14, 480],
      [null, 7, 7, 832],
      [null, 1024],
      [null, 1000],
    ]);
    expect(model.countParams()).toBe(countFromTable(1, 3, 1000));
    expect(model.countParams()).toBe(PYTORCH_PAPER_PARAMS);
    model.dispose();
  });

  it('adds two auxiliary classifiers on 4×4 pooled maps of 4a (512 channels) and 4d (528)', () => {
    const model = buildGoogLeNet(PAPER_OPTIONS);
    expect(model.outputs.map((o) => o.shape)).toEqual([[null, 1000], [null, 1000], [null, 1000]]);
    expect(model.getLayer('aux1/pool').outputShape).toEqual([null, 4, 4, 512]);
    expect(model.getLayer('aux2/pool').outputShape).toEqual([null, 4, 4, 528]);
    expect(model.countParams()).toBe(countFromTable(1, 3, 1000) + auxParams(512, 4, 1000) + auxParams(528, 4, 1000));
    expect(model.countParams()).toBe(PYTORCH_PAPER_WITH_AUX_PARAMS);
    model.dispose();
  });
});

describe('ablations', () => {
  const small = { ...FAITHFUL_OPTIONS, resolution: 32, width: 0.125 };
  const build = (options: Partial<typeof FAITHFUL_OPTIONS>) => buildGoogLeNet({ ...small, ...options });

  it.each([
    ['batch norm', { batchNorm: true }],
    ['LeakyReLU', { activation: 'leaky-relu' as const }],
    ['ELU', { activation: 'elu' as const }],
    ['tanh', { activation: 'tanh' as const }],
    ['two 3×3 for the 5×5', { factorize5x5: true }],
    ['average-pool branch', { poolBranch: 'avg' as const }],
    ['Kaiming init', { init: 'kaiming' as const }],
    ['dropout', { dropout: true }],
    ['auxiliary heads', { auxHeads: true }],
    ['the paper model at its smallest input, 32×32', { model: 'paper' as const, inputChannels: 3, resolution: MIN_PAPER_RESOLUTION }],
  ] as [string, Partial<typeof FAITHFUL_OPTIONS>][])('%s: builds and gives finite logits of the right shape', (_, options) => {
    const model = build(options);
    const side = options.resolution ?? small.resolution;
    const outputs = tf.tidy(() => {
      const result = model.apply(tf.randomUniform([2, side, side, options.inputChannels ?? 1]), {
        training: true,
      }) as tf.Tensor | tf.Tensor[];
      return (Array.isArray(result) ? result : [result]).map((t) => ({ shape: t.shape, finite: t.isFinite().all().dataSync()[0] }));
    });
    expect(outputs[0]).toEqual({ shape: [2, 10], finite: 1 });
    model.dispose();
  });

  it('batch norm replaces each conv bias by a scale and a shift (and two running statistics)', () => {
    const plain = build({});
    const normed = build({ batchNorm: true });
    const convs = plain.layers.filter((l) => l.getClassName() === 'Conv2D');
    const channels = convs.reduce((sum, l) => sum + (l.outputShape as number[])[3]!, 0);
    expect(normed.countParams() - plain.countParams()).toBe(3 * channels);
    expect(normed.getLayer('b1_conv_7x7').getWeights()).toHaveLength(1);
    plain.dispose();
    normed.dispose();
  });

  it('factorises the 5×5 branch into two 3×3 convolutions of the same width', () => {
    const model = build({ factorize5x5: true });
    expect(() => model.getLayer('inception_3a/branch3_5x5')).toThrow();
    expect(model.getLayer('inception_3a/branch3_3x3a').getWeights()[0]!.shape).toEqual([3, 3, 2, 4]);
    expect(model.getLayer('inception_3a/branch3_3x3b').getWeights()[0]!.shape).toEqual([3, 3, 4, 4]);
    model.dispose();
  });

  it("Kaiming init draws N(0, 2 / fan_out) weights and zero biases", () => {
    const model = buildGoogLeNet({ ...FAITHFUL_OPTIONS, resolution: 32, init: 'kaiming' });
    const [kernel, bias] = model.getLayer('inception_4a/branch2_3x3').getWeights();
    const values = [...kernel!.dataSync()];
    const [kh, kw, , cout] = kernel!.shape as number[];
    const std = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0) / values.length);
    expect(std / Math.sqrt(2 / (kh! * kw! * cout!))).toBeCloseTo(1, 1);
    expect([...bias!.dataSync()].every((b) => b === 0)).toBe(true);
    model.dispose();
  });

  it('a max pool over negative activations never picks the padding (as zeros would)', () => {
    const input = tf.input({ shape: [4, 4, 1] });
    const padded = new PoolPadding({ name: 'pad', padding: [[1, 1], [1, 1]] }).apply(input) as tf.SymbolicTensor;
    const pooled = tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }).apply(padded) as tf.SymbolicTensor;
    const probe = tf.model({ inputs: input, outputs: pooled });
    const values = tf.tidy(() => [...(probe.predict(tf.fill([1, 4, 4, 1], -0.5)) as tf.Tensor).dataSync()]);
    expect(values).toEqual([-0.5, -0.5, -0.5, -0.5]);
    probe.dispose();
  });
});

describe('stages, for freezing', () => {
  /** Layers with weights per part, counted from the tables: no layer name decides where one belongs. */
  function expectedWeightedLayers(auxHeads: boolean, batchNorm: boolean, factorize5x5: boolean): Record<string, number> {
    const perConv = batchNorm ? 2 : 1;
    const convsPerBlock = factorize5x5 ? 7 : 6;
    const [b3, b4, b5] = INCEPTION_STAGES.map((blocks) => blocks.length * convsPerBlock * perConv);
    const auxHidden = auxHeads ? 2 * (perConv + 1) : 0;
    return { b1: perConv, b2: 2 * perConv, b3: b3!, b4: b4! + auxHidden, b5: b5!, classifier: auxHeads ? 3 : 1 };
  }

  function countParts(model: tf.LayersModel): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const layer of model.layers.filter((l) => l.countParams() > 0)) counts[partOf(layer)] = (counts[partOf(layer)] ?? 0) + 1;
    return counts;
  }

  it.each([
    ['d2l', { ...FAITHFUL_OPTIONS, resolution: 32, width: 0.0625 }],
    ['the paper with aux heads and batch norm', { ...PAPER_OPTIONS, resolution: MIN_PAPER_RESOLUTION, width: 0.0625, batchNorm: true }],
    ['factorised 5×5 branches', { ...FAITHFUL_OPTIONS, resolution: 32, width: 0.0625, factorize5x5: true, auxHeads: true }],
  ])('records the stage of every layer with weights as the builder makes it (%s)', (_, options) => {
    const model = buildGoogLeNet(options);
    expect(countParts(model)).toEqual(expectedWeightedLayers(options.auxHeads, options.batchNorm, options.factorize5x5));
    expect(partOf(model.getLayer('image'))).toBe('none');
    model.dispose();
  });

  it('keeps a layer in its stage when its name changes', () => {
    const model = buildGoogLeNet({ ...FAITHFUL_OPTIONS, resolution: 32, width: 0.0625, auxHeads: true });
    const layer = model.getLayer('aux1/fc');
    Object.assign(layer, { name: 'renamed' });
    expect(partOf(layer)).toBe('b4');
    model.dispose();
  });

  it('refuses a layer the builder did not make', () => {
    const dense = tf.layers.dense({ units: 1, name: 'b1_conv_7x7' });
    expect(() => partOf(dense)).toThrow(/not made by the GoogLeNet builder/);
  });
});
