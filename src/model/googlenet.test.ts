import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FAITHFUL_OPTIONS,
  INCEPTION_STAGES,
  type InceptionChannels,
  STAGE_OUTPUT_LAYERS,
  STEM,
  buildGoogLeNet,
  scaleChannels,
  scaleInception,
} from './googlenet';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const convParams = (k: number, cin: number, cout: number) => k * k * cin * cout + cout;

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
