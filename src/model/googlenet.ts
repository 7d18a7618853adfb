import * as tf from '@tensorflow/tfjs';

/**
 * GoogLeNet (Szegedy et al. 2014, Table 1) as "Dive into Deep Learning" builds it for Fashion-MNIST:
 * one grayscale channel in, ten classes out, no auxiliary classifiers, no local response normalisation.
 */

/** Output channels of the four branches, as in the paper's table: 1×1 | 1×1→3×3 | 1×1→5×5 | pool→1×1. */
export interface InceptionChannels {
  branch1: number;
  branch2: readonly [reduce: number, out: number];
  branch3: readonly [reduce: number, out: number];
  branch4: number;
}

export interface InceptionSpec extends InceptionChannels {
  name: string;
}

const inception = (
  name: string,
  branch1: number,
  branch2: readonly [number, number],
  branch3: readonly [number, number],
  branch4: number,
): InceptionSpec => ({ name, branch1, branch2, branch3, branch4 });

/** The paper's channel table. Each stage ends with a 3×3/2 max pool, except b5's global average pool. */
export const INCEPTION_STAGES: readonly (readonly InceptionSpec[])[] = [
  [
    inception('inception_3a', 64, [96, 128], [16, 32], 32), // N × 256 × 12 × 12 (at 96×96 input)
    inception('inception_3b', 128, [128, 192], [32, 96], 64), // N × 480 × 12 × 12
  ],
  [
    inception('inception_4a', 192, [96, 208], [16, 48], 64), // N × 512 × 6 × 6
    inception('inception_4b', 160, [112, 224], [24, 64], 64), // N × 512 × 6 × 6
    inception('inception_4c', 128, [128, 256], [24, 64], 64), // N × 512 × 6 × 6
    inception('inception_4d', 112, [144, 288], [32, 64], 64), // N × 528 × 6 × 6
    inception('inception_4e', 256, [160, 320], [32, 128], 128), // N × 832 × 6 × 6
  ],
  [
    inception('inception_5a', 256, [160, 320], [32, 128], 128), // N × 832 × 3 × 3
    inception('inception_5b', 384, [192, 384], [48, 128], 128), // N × 1024 × 3 × 3
  ],
];

/** The stem: b1 = 7×7/2 conv 64 + pool, b2 = 1×1 conv 64, 3×3 conv 192 + pool. */
export const STEM = {
  conv1: { channels: 64, kernel: 7, stride: 2 },
  conv2Reduce: { channels: 64, kernel: 1, stride: 1 },
  conv2: { channels: 192, kernel: 3, stride: 1 },
} as const;

export const FASHION_MNIST_CLASSES = 10;

export interface GoogLeNetOptions {
  /** Square input side; d2l resizes Fashion-MNIST from 28 to 96. */
  resolution: number;
  /** Multiplier for every channel count: round(c × width), at least 1. */
  width: number;
  inputChannels: number;
  numClasses: number;
  /** Seeds the Xavier-uniform initialisers so the same seed gives the same initial weights. */
  seed: number;
}

export const FAITHFUL_OPTIONS: GoogLeNetOptions = {
  resolution: 96,
  width: 1,
  inputChannels: 1,
  numClasses: FASHION_MNIST_CLASSES,
  seed: 1,
};

export function scaleChannels(channels: number, width: number): number {
  return Math.max(1, Math.round(channels * width));
}

export function scaleInception(spec: InceptionChannels, width: number): InceptionChannels {
  const s = (c: number) => scaleChannels(c, width);
  return {
    branch1: s(spec.branch1),
    branch2: [s(spec.branch2[0]), s(spec.branch2[1])],
    branch3: [s(spec.branch3[0]), s(spec.branch3[1])],
    branch4: s(spec.branch4),
  };
}

/** Names of the layers whose outputs end each stage, for shape checks and summaries. */
export const STAGE_OUTPUT_LAYERS = ['b1_pool', 'b2_pool', 'b3_pool', 'b4_pool', 'b5_global_pool', 'logits'] as const;

/**
 * d2l applies Xavier-uniform to weights only; biases keep PyTorch's default, U(±1/√fan_in). Those non-zero biases
 * matter: with zero biases the signal fades through 22 ReLU layers and SGD sits on a loss plateau of ln 10.
 */
function pytorchDefaultBias(fanIn: number, seeds: SeedSequence): ReturnType<typeof tf.initializers.randomUniform> {
  const bound = 1 / Math.sqrt(fanIn);
  return tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: seeds.take() });
}

/** Derives a distinct, reproducible initialiser seed per layer from the run's seed. */
export class SeedSequence {
  private next: number;
  constructor(seed: number) {
    this.next = seed * 1000;
  }
  take(): number {
    return this.next++;
  }
}

/**
 * Stride-2 layers pad explicitly, (k - 1) / 2 on every side as PyTorch does: TensorFlow's 'same' would pad only
 * the bottom/right for even inputs and shift every feature map by a pixel against the reference model.
 */
function padFor(x: tf.SymbolicTensor, name: string, kernelSize: number, strides: number): tf.SymbolicTensor {
  if (strides === 1) return x;
  const p = (kernelSize - 1) / 2;
  return tf.layers.zeroPadding2d({ name: `${name}_pad`, padding: [[p, p], [p, p]] }).apply(x) as tf.SymbolicTensor;
}

function conv(
  x: tf.SymbolicTensor,
  name: string,
  filters: number,
  kernelSize: number,
  strides: number,
  seeds: SeedSequence,
): tf.SymbolicTensor {
  const inputChannels = x.shape[x.shape.length - 1]!;
  return tf.layers
    .conv2d({
      name,
      filters,
      kernelSize,
      strides,
      padding: strides === 1 ? 'same' : 'valid',
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seeds.take() }),
      biasInitializer: pytorchDefaultBias(kernelSize * kernelSize * inputChannels, seeds),
    })
    .apply(padFor(x, name, kernelSize, strides)) as tf.SymbolicTensor;
}

/** Zero padding equals PyTorch's −∞ padding here because every pooled input comes out of a ReLU. */
function maxPool(x: tf.SymbolicTensor, name: string, strides: number): tf.SymbolicTensor {
  return tf.layers
    .maxPooling2d({ name, poolSize: 3, strides, padding: strides === 1 ? 'same' : 'valid' })
    .apply(padFor(x, name, 3, strides)) as tf.SymbolicTensor;
}

export function inceptionBlock(
  x: tf.SymbolicTensor,
  spec: InceptionSpec,
  width: number,
  seeds: SeedSequence,
): tf.SymbolicTensor {
  const c = scaleInception(spec, width);
  const n = spec.name;
  const branch1 = conv(x, `${n}/branch1_1x1`, c.branch1, 1, 1, seeds);
  const branch2 = conv(conv(x, `${n}/branch2_1x1`, c.branch2[0], 1, 1, seeds), `${n}/branch2_3x3`, c.branch2[1], 3, 1, seeds);
  const branch3 = conv(conv(x, `${n}/branch3_1x1`, c.branch3[0], 1, 1, seeds), `${n}/branch3_5x5`, c.branch3[1], 5, 1, seeds);
  const branch4 = conv(maxPool(x, `${n}/branch4_pool`, 1), `${n}/branch4_1x1`, c.branch4, 1, 1, seeds);
  return tf.layers.concatenate({ name: `${n}/concat`, axis: -1 }).apply([branch1, branch2, branch3, branch4]) as tf.SymbolicTensor;
}

/** Builds the network as a tfjs functional model (NHWC). Creates variables: call only where tfjs is ready. */
export function buildGoogLeNet(options: GoogLeNetOptions): tf.LayersModel {
  const { resolution, width, inputChannels, numClasses } = options;
  const seeds = new SeedSequence(options.seed);
  const w = (c: number) => scaleChannels(c, width);

  const input = tf.input({ name: 'image', shape: [resolution, resolution, inputChannels] });
  let x = conv(input, 'b1_conv_7x7', w(STEM.conv1.channels), STEM.conv1.kernel, STEM.conv1.stride, seeds);
  x = maxPool(x, 'b1_pool', 2); // N × 64 × 24 × 24
  x = conv(x, 'b2_conv_1x1', w(STEM.conv2Reduce.channels), STEM.conv2Reduce.kernel, STEM.conv2Reduce.stride, seeds);
  x = conv(x, 'b2_conv_3x3', w(STEM.conv2.channels), STEM.conv2.kernel, STEM.conv2.stride, seeds);
  x = maxPool(x, 'b2_pool', 2); // N × 192 × 12 × 12

  INCEPTION_STAGES.forEach((stage, index) => {
    for (const spec of stage) x = inceptionBlock(x, spec, width, seeds);
    const stageName = `b${index + 3}`;
    if (index < INCEPTION_STAGES.length - 1) x = maxPool(x, `${stageName}_pool`, 2); // b3: 480×6×6, b4: 832×3×3
  });
  x = tf.layers.globalAveragePooling2d({ name: 'b5_global_pool' }).apply(x) as tf.SymbolicTensor; // N × 1024
  const features = x.shape[1]!;
  const logits = tf.layers
    .dense({
      name: 'logits',
      units: numClasses,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seeds.take() }),
      biasInitializer: pytorchDefaultBias(features, seeds),
    })
    .apply(x) as tf.SymbolicTensor; // N × 10

  return tf.model({ name: 'googlenet', inputs: input, outputs: logits });
}

/** The network for Fashion-MNIST: one grayscale channel in, ten classes out. */
export function buildFashionMnistGoogLeNet(shape: { resolution: number; width: number }, seed: number): tf.LayersModel {
  return buildGoogLeNet({ ...shape, inputChannels: 1, numClasses: FASHION_MNIST_CLASSES, seed });
}
