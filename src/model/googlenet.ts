import * as tf from '@tensorflow/tfjs';
import {
  type Activation,
  type ArchitectureOptions,
  DEFAULT_CONFIG,
  type PoolBranch,
  type TrainConfig,
  architectureOf,
  inputChannels,
} from '../config/trainConfig';
import type { Stage } from '../domain/transfer';
import { RUNNING_AVERAGE_MOMENTUM, ReluAfterBatchNorm, TrainingBatchNormalization } from './batchNorm';
import { TrainingConv2D } from './trainingConv';
import { recordPart } from './layerParts';
import { type ModelSummary, summarizeModel } from './summary';

/**
 * GoogLeNet (Szegedy et al. 2014, Table 1) as "Dive into Deep Learning" builds it for Fashion-MNIST — one grayscale
 * channel in, ten classes out, no auxiliary classifiers — or as the paper does (RGB in, ceil-mode pools, dropout,
 * auxiliary classifiers), with the ablations the articles suggest. Neither has local response normalisation
 * (torchvision leaves it out too).
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

/** The stages INCEPTION_STAGES fills, in order; b1 and b2 are the stem. */
const INCEPTION_STAGE_NAMES: readonly Stage[] = ['b3', 'b4', 'b5'];

/** The stem: b1 = 7×7/2 conv 64 + pool, b2 = 1×1 conv 64, 3×3 conv 192 + pool. */
export const STEM = {
  conv1: { channels: 64, kernel: 7, stride: 2 },
  conv2Reduce: { channels: 64, kernel: 1, stride: 1 },
  conv2: { channels: 192, kernel: 3, stride: 1 },
} as const;

export const FASHION_MNIST_CLASSES = 10;


export interface GoogLeNetOptions extends ArchitectureOptions {
  /** Square input side; d2l resizes Fashion-MNIST from 28 to 96. */
  resolution: number;
  /** Multiplier for every channel count: round(c × width), at least 1. */
  width: number;
  inputChannels: number;
  numClasses: number;
  /** Seeds every initialiser (and dropout) so the same seed gives the same initial weights. */
  seed: number;
}

/** d2l's model has every architecture switch off: the defaults of the config. */
export const D2L_ARCHITECTURE: ArchitectureOptions = architectureOf(DEFAULT_CONFIG);

export const FAITHFUL_OPTIONS: GoogLeNetOptions = {
  ...D2L_ARCHITECTURE,
  resolution: 96,
  width: 1,
  inputChannels: 1,
  numClasses: FASHION_MNIST_CLASSES,
  seed: 1,
};

/** The paper's network as torchvision builds it for ImageNet (without its batch norm): 3×224×224 in, 1000 classes. */
export const PAPER_OPTIONS: GoogLeNetOptions = {
  ...FAITHFUL_OPTIONS,
  model: 'paper',
  auxHeads: true,
  dropout: true,
  resolution: 224,
  inputChannels: 3,
  numClasses: 1000,
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
function pytorchDefaultUniform(fanIn: number, seeds: SeedSequence): ReturnType<typeof tf.initializers.randomUniform> {
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

/** What every layer builder needs: the seeds and the architecture switches. */
interface BuildContext extends ArchitectureOptions {
  seeds: SeedSequence;
}

/** LeakyReLU's slope as in PyTorch (tfjs's default is 0.3). */
const LEAKY_SLOPE = 0.01;

function activate(x: tf.SymbolicTensor, name: string, activation: Activation): tf.SymbolicTensor {
  const layer =
    activation === 'leaky-relu'
      ? tf.layers.leakyReLU({ name, alpha: LEAKY_SLOPE })
      : tf.layers.activation({ name, activation: activation === 'relu' ? 'relu' : activation });
  return layer.apply(x) as tf.SymbolicTensor;
}

/**
 * Pads with a value below any activation, so a max pool over the padding behaves as PyTorch's, which never picks
 * a padded cell: zeros would do after a ReLU, not after tanh, ELU or LeakyReLU. A layer of its own because tfjs
 * has no constant-value padding layer.
 */
export class PoolPadding extends tf.layers.Layer {
  static readonly className = 'PoolPadding';
  private readonly padding: [[number, number], [number, number]];

  constructor(config: { name: string; padding: [[number, number], [number, number]] }) {
    super({ name: config.name });
    this.padding = config.padding;
  }

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    const [n, h, w, c] = inputShape as [number | null, number, number, number];
    const [[top, bottom], [left, right]] = this.padding;
    return [n, h + top + bottom, w + left + right, c];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D;
    return tf.pad(x, [[0, 0], ...this.padding, [0, 0]], POOL_PAD_VALUE);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padding: this.padding };
  }
}
tf.serialization.registerClass(PoolPadding);

/** The lowest float32 magnitude-safe value: below every activation, and finite on every backend. */
const POOL_PAD_VALUE = -3e38;

/**
 * Stride-2 layers pad explicitly, (k - 1) / 2 on every side as PyTorch does: TensorFlow's 'same' would pad only
 * the bottom/right for even inputs and shift every feature map by a pixel against the reference model.
 */
function symmetricPad(kernelSize: number): [[number, number], [number, number]] {
  const p = (kernelSize - 1) / 2;
  return [[p, p], [p, p]];
}

function conv(
  x: tf.SymbolicTensor,
  name: string,
  filters: number,
  kernelSize: number,
  strides: number,
  ctx: BuildContext,
  readsImages = false,
): tf.SymbolicTensor {
  const inputChannels = x.shape[x.shape.length - 1]!;
  const padded =
    strides === 1
      ? x
      : (tf.layers.zeroPadding2d({ name: `${name}_pad`, padding: symmetricPad(kernelSize) }).apply(x) as tf.SymbolicTensor);
  const fanIn = kernelSize * kernelSize * inputChannels;
  // torchvision's Kaiming init for ReLU networks: N(0, 2 / fan_out), zero biases.
  const kernelInitializer =
    ctx.init === 'kaiming'
      ? tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 / (kernelSize * kernelSize * filters)), seed: ctx.seeds.take() })
      : tf.initializers.glorotUniform({ seed: ctx.seeds.take() });
  // With batch norm a bias is redundant (the norm's shift replaces it), as in Inception v2 and torchvision.
  const useBias = !ctx.batchNorm;
  const biasInitializer = ctx.init === 'kaiming' || !useBias ? 'zeros' : pytorchDefaultUniform(fanIn, ctx.seeds);
  // ReLU, ELU and tanh fuse into the convolution's kernel; LeakyReLU and batch norm need layers of their own.
  const fused = !ctx.batchNorm && ctx.activation !== 'leaky-relu';
  // TrainingConv2D keeps a ReLU fused while training too, and spares the images a gradient (trainingConv.ts).
  const convolved = new TrainingConv2D({
    name,
    filters,
    kernelSize,
    strides,
    padding: strides === 1 ? 'same' : 'valid',
    activation: fused ? (ctx.activation as 'relu' | 'elu' | 'tanh') : 'linear',
    useBias,
    kernelInitializer,
    biasInitializer,
    readsImages,
  }).apply(padded) as tf.SymbolicTensor;
  if (fused) return convolved;
  if (!ctx.batchNorm) return activate(convolved, `${name}_act`, ctx.activation);
  // PyTorch's BatchNorm2d: running averages updated by 0.1 per step (tfjs counts the kept share), ε = 1e-5. A ReLU
  // after it runs in batch norm's own kernels while training; its layer stays, for inference and saved models.
  const fusedRelu = ctx.activation === 'relu';
  const normalised = new TrainingBatchNormalization({ name: `${name}_bn`, momentum: RUNNING_AVERAGE_MOMENTUM, epsilon: 1e-5, fusedRelu }).apply(convolved) as tf.SymbolicTensor;
  if (!fusedRelu) return activate(normalised, `${name}_act`, ctx.activation);
  return new ReluAfterBatchNorm({ name: `${name}_act` }).apply(normalised) as tf.SymbolicTensor;
}

/**
 * 3×3 max pool. Stride 1 uses 'same' padding, which tfjs never picks from. Stride 2 pads one cell on every side, as
 * PyTorch's padding=1 (d2l), or none and just enough at the bottom/right for PyTorch's ceil mode (the paper).
 */
function maxPool(x: tf.SymbolicTensor, name: string, strides: number, ceilMode = false): tf.SymbolicTensor {
  if (strides === 1) {
    return tf.layers.maxPooling2d({ name, poolSize: 3, strides: 1, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  }
  const side = x.shape[1]!;
  let padding: [[number, number], [number, number]] = symmetricPad(3);
  if (ceilMode) {
    const out = Math.ceil((side - 3) / 2) + 1;
    const extra = Math.max(0, (out - 1) * 2 + 3 - side);
    padding = [[0, extra], [0, extra]];
  }
  const padded = new PoolPadding({ name: `${name}_pad`, padding }).apply(x) as tf.SymbolicTensor;
  return tf.layers.maxPooling2d({ name, poolSize: 3, strides: 2, padding: 'valid' }).apply(padded) as tf.SymbolicTensor;
}

function poolBranch(x: tf.SymbolicTensor, name: string, kind: PoolBranch): tf.SymbolicTensor {
  if (kind === 'max') return maxPool(x, name, 1);
  // tfjs averages only the cells inside the image ('same'), like PyTorch's count_include_pad=False.
  return tf.layers.averagePooling2d({ name, poolSize: 3, strides: 1, padding: 'same' }).apply(x) as tf.SymbolicTensor;
}

export function inceptionBlock(
  x: tf.SymbolicTensor,
  spec: InceptionSpec,
  width: number,
  seeds: SeedSequence,
  architecture: ArchitectureOptions = D2L_ARCHITECTURE,
): tf.SymbolicTensor {
  const ctx: BuildContext = { ...architecture, seeds };
  const c = scaleInception(spec, width);
  const n = spec.name;
  const branch1 = conv(x, `${n}/branch1_1x1`, c.branch1, 1, 1, ctx);
  const branch2 = conv(conv(x, `${n}/branch2_1x1`, c.branch2[0], 1, 1, ctx), `${n}/branch2_3x3`, c.branch2[1], 3, 1, ctx);
  const reduced = conv(x, `${n}/branch3_1x1`, c.branch3[0], 1, 1, ctx);
  const branch3 = ctx.factorize5x5
    ? conv(conv(reduced, `${n}/branch3_3x3a`, c.branch3[1], 3, 1, ctx), `${n}/branch3_3x3b`, c.branch3[1], 3, 1, ctx)
    : conv(reduced, `${n}/branch3_5x5`, c.branch3[1], 5, 1, ctx);
  const branch4 = conv(poolBranch(x, `${n}/branch4_pool`, ctx.poolBranch), `${n}/branch4_1x1`, c.branch4, 1, 1, ctx);
  return tf.layers.concatenate({ name: `${n}/concat`, axis: -1 }).apply([branch1, branch2, branch3, branch4]) as tf.SymbolicTensor;
}

function dense(x: tf.SymbolicTensor, name: string, units: number, activation: 'relu' | 'linear', ctx: BuildContext): tf.SymbolicTensor {
  const fanIn = x.shape[1]!;
  return tf.layers
    .dense({
      name,
      units,
      activation,
      // Kaiming mode keeps PyTorch's default Linear init, U(±1/√fan_in), as torchvision's ResNets do.
      kernelInitializer:
        ctx.init === 'kaiming' ? pytorchDefaultUniform(fanIn, ctx.seeds) : tf.initializers.glorotUniform({ seed: ctx.seeds.take() }),
      biasInitializer: pytorchDefaultUniform(fanIn, ctx.seeds),
    })
    .apply(x) as tf.SymbolicTensor;
}

/** The paper's auxiliary-head sizes: a 1×1 conv of 128 channels, then 1024 units. */
export const AUX_HEAD = { conv: 128, hidden: 1024, dropout: 0.7, pool: 5, poolStride: 3 } as const;

/**
 * An auxiliary classifier (after 4a and 4d): 5×5/3 average pool, 1×1 conv + activation, dense 1024 + ReLU,
 * dropout 0.7, dense to the classes. On inputs smaller than the pool (d2l's 96×96 gives 6×6, 32×32 gives 2×2), the
 * pool covers the whole map instead.
 */
function auxiliaryHead(
  x: tf.SymbolicTensor,
  name: string,
  stage: Stage,
  width: number,
  numClasses: number,
  ctx: BuildContext,
): tf.SymbolicTensor {
  const side = x.shape[1]!;
  const poolSize = Math.min(AUX_HEAD.pool, side);
  let y = tf.layers
    .averagePooling2d({ name: `${name}/pool`, poolSize, strides: Math.min(AUX_HEAD.poolStride, poolSize), padding: 'valid' })
    .apply(x) as tf.SymbolicTensor;
  y = conv(y, `${name}/conv_1x1`, scaleChannels(AUX_HEAD.conv, width), 1, 1, ctx);
  y = tf.layers.flatten({ name: `${name}/flatten` }).apply(y) as tf.SymbolicTensor;
  y = dense(y, `${name}/fc`, scaleChannels(AUX_HEAD.hidden, width), 'relu', ctx);
  y = tf.layers.dropout({ name: `${name}/dropout`, rate: AUX_HEAD.dropout, seed: ctx.seeds.take() }).apply(y) as tf.SymbolicTensor;
  recordPart(y, stage);
  const logits = dense(y, `${name}/logits`, numClasses, 'linear', ctx);
  recordPart(logits, 'classifier');
  return logits;
}

/** The paper's dropout before the classifier. */
export const FINAL_DROPOUT = 0.4;

/** Layers after which the auxiliary classifiers branch off, as in the paper. */
const AUX_AFTER = ['inception_4a', 'inception_4d'];

/**
 * Builds the network as a tfjs functional model (NHWC). Creates variables: call only where tfjs is ready.
 * Outputs the logits, then — with auxiliary heads — the two auxiliary logits. Records each layer's stage (partOf).
 */
export function buildGoogLeNet(options: GoogLeNetOptions): tf.LayersModel {
  const { resolution, width, inputChannels: channels, numClasses } = options;
  const ctx: BuildContext = { ...options, seeds: new SeedSequence(options.seed) };
  const ceilMode = options.model === 'paper';
  const w = (c: number) => scaleChannels(c, width);

  const input = tf.input({ name: 'image', shape: [resolution, resolution, channels] });
  recordPart(input, 'none');
  let x = conv(input, 'b1_conv_7x7', w(STEM.conv1.channels), STEM.conv1.kernel, STEM.conv1.stride, ctx, true);
  x = maxPool(x, 'b1_pool', 2, ceilMode); // N × 64 × 24 × 24 (d2l, 96×96) · N × 64 × 56 × 56 (paper, 224×224)
  recordPart(x, 'b1');
  x = conv(x, 'b2_conv_1x1', w(STEM.conv2Reduce.channels), STEM.conv2Reduce.kernel, STEM.conv2Reduce.stride, ctx);
  x = conv(x, 'b2_conv_3x3', w(STEM.conv2.channels), STEM.conv2.kernel, STEM.conv2.stride, ctx);
  x = maxPool(x, 'b2_pool', 2, ceilMode); // N × 192 × 12 × 12 · N × 192 × 28 × 28
  recordPart(x, 'b2');

  const auxOutputs: tf.SymbolicTensor[] = [];
  INCEPTION_STAGES.forEach((blocks, index) => {
    const stage = INCEPTION_STAGE_NAMES[index]!;
    for (const spec of blocks) {
      x = inceptionBlock(x, spec, width, ctx.seeds, options);
      if (options.auxHeads && AUX_AFTER.includes(spec.name)) {
        auxOutputs.push(auxiliaryHead(x, `aux${auxOutputs.length + 1}`, stage, width, numClasses, ctx));
      }
    }
    // b3: 480 × 6 × 6 · 480 × 14 × 14;  b4: 832 × 3 × 3 · 832 × 7 × 7
    if (index < INCEPTION_STAGES.length - 1) x = maxPool(x, `${stage}_pool`, 2, ceilMode);
    recordPart(x, stage);
  });
  x = tf.layers.globalAveragePooling2d({ name: 'b5_global_pool' }).apply(x) as tf.SymbolicTensor; // N × 1024
  recordPart(x, 'b5');
  if (options.dropout) {
    x = tf.layers.dropout({ name: 'dropout', rate: FINAL_DROPOUT, seed: ctx.seeds.take() }).apply(x) as tf.SymbolicTensor;
    recordPart(x, 'none');
  }
  const logits = dense(x, 'logits', numClasses, 'linear', ctx); // N × classes
  recordPart(logits, 'classifier');

  return tf.model({ name: 'googlenet', inputs: input, outputs: [logits, ...auxOutputs] });
}

/** The network a run trains: one output per class of its dataset (Fashion-MNIST's ten unless told otherwise). */
export function buildRunNetwork(
  config: Pick<TrainConfig, 'resolution' | 'width' | 'seed'> & ArchitectureOptions,
  data: { classCount: number; channels: number } = { classCount: FASHION_MNIST_CLASSES, channels: 1 },
): tf.LayersModel {
  return buildGoogLeNet({ ...config, inputChannels: inputChannels(config.model, data.channels), numClasses: data.classCount });
}

/** The layers, parameters and multiply-accumulates of the network a run trains, its weights freed again. */
export function summarizeRunNetwork(
  config: Parameters<typeof buildRunNetwork>[0],
  data?: Parameters<typeof buildRunNetwork>[1],
): ModelSummary {
  const model = buildRunNetwork(config, data);
  try {
    return summarizeModel(model);
  } finally {
    model.dispose();
  }
}

/**
 * Every weight, layer by layer: the order checkpoints and saved models use. `model.getWeights()` lists trainable
 * weights first, so freezing a layer would reorder it.
 */
export function layerWeights(model: tf.LayersModel): tf.LayerVariable[] {
  return model.layers.flatMap((layer) => layer.weights);
}

/** Reads weights saved in layerWeights order; refuses a list that does not fit the network. */
export function loadLayerWeights(model: tf.LayersModel, weights: Float32Array[], problem: string): void {
  const variables = layerWeights(model);
  if (weights.length !== variables.length || weights.some((w, i) => w.length !== variables[i]!.read().size)) {
    throw new Error(problem);
  }
  tf.tidy(() => variables.forEach((variable, i) => variable.write(tf.tensor(weights[i]!, variable.read().shape))));
}
