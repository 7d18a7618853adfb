import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ArchitectureOptions, DEFAULT_CONFIG, architectureOf } from '../config/trainConfig';
import { seededRandom } from '../data/random';
import { buildRunNetwork } from '../model/googlenet';
import {
  type Shape4,
  type Unfold,
  forwardConvWeightGradient,
  im2colForwardConv,
  im2colWeightGradient,
  weightGradientConvInfo,
} from './convGradientForms';
import { type ConvShape, convLayerShapes, layerKey } from './convStrategy';
import { type Info, KernelScope } from './kernelSupport';
import { CONV_EDGE_CASES } from './gradientTestCases';
import { scaledError } from './scaledError';

/** The largest absolute difference from the reference, over the reference's largest magnitude (or 1 if smaller). */
const TOLERANCE = 1e-4;

/** The model variants the app can build, at the classroom scale (32×32, width ¼). */
const VARIANTS: Partial<ArchitectureOptions>[] = [
  {},
  { model: 'paper', auxHeads: true, dropout: true },
  { factorize5x5: true },
  { poolBranch: 'avg' },
  { batchNorm: true },
  { auxHeads: true },
];

const BATCH = 2;

function modelShapes(): { layer: string; shape: ConvShape }[] {
  const all = new Map<string, { layer: string; shape: ConvShape }>();
  for (const architecture of VARIANTS) {
    const config = { ...DEFAULT_CONFIG, ...architecture, resolution: 32, width: 0.25 };
    const model = buildRunNetwork({ ...config, ...architectureOf(config) });
    for (const entry of convLayerShapes(model, BATCH)) all.set(layerKey(entry.shape), entry);
    model.dispose();
  }
  return [...all.values()];
}

interface Case {
  layer: string;
  x: number[];
  attrs: tf.Conv2DBackpropFilterAttrs;
}

function cases(): Case[] {
  const fromModels = modelShapes().map(({ layer, shape }) => ({
    layer: `${layer} (${layerKey(shape)})`,
    x: [shape.batch, shape.height, shape.width, shape.inChannels],
    attrs: {
      filterShape: [...shape.kernel, shape.inChannels, shape.outChannels] as [number, number, number, number],
      strides: shape.strides,
      pad: shape.pad as 'same' | 'valid',
      dataFormat: 'NHWC' as const,
    },
  }));
  const edges = CONV_EDGE_CASES.map((c) => ({
    layer: c.layer,
    x: c.x,
    attrs: { filterShape: c.filter, strides: c.strides, pad: c.pad, dataFormat: 'NHWC' as const },
  }));
  return [...fromModels, ...edges];
}

/**
 * The unfold's contract written out in plain JavaScript: the WebGPU program is checked against the built-in kernel
 * in the browser (e2e/weight-gradient.spec.ts); here it is the plan around it that is under test.
 */
const unfoldInJs: Unfold = (scope, x, info) => {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight, outWidth, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw, padInfo } = info;
  const input = scope.backend.readSync(x.dataId) as Float32Array;
  const columns = kh * kw * c;
  const patches = new Float32Array(n * outHeight * outWidth * columns);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < outHeight; i++) {
      for (let j = 0; j < outWidth; j++) {
        const row = (b * outHeight + i) * outWidth + j;
        for (let a = 0; a < kh; a++) {
          for (let e = 0; e < kw; e++) {
            const [y, z] = [i * sh - padInfo.top + a, j * sw - padInfo.left + e];
            if (y < 0 || y >= h || z < 0 || z >= w) continue;
            for (let ch = 0; ch < c; ch++) patches[row * columns + (a * kw + e) * c + ch] = input[((b * h + y) * w + z) * c + ch]!;
          }
        }
      }
    }
  }
  const shape = [n * outHeight * outWidth, columns];
  return scope.keep({ dataId: scope.backend.write(patches, shape, 'float32'), shape, dtype: 'float32' });
};

const KERNELS = ['BatchMatMul', '_FusedMatMul', 'Conv2D', 'Reshape', 'Slice', 'Transpose'];

/** A plan run on the cpu backend's own kernels, read back, with everything it made freed. */
function runPlan(plan: (scope: KernelScope) => Info): Float32Array {
  const backend = tf.backend();
  const kernels = new Map(KERNELS.map((name) => [name, tf.getKernel(name, 'cpu')!.kernelFunc]));
  const scope = new KernelScope(backend, 'cpu', kernels);
  try {
    const result = plan(scope);
    const values = backend.readSync(result.dataId) as Float32Array;
    backend.disposeData(result.dataId);
    return values;
  } finally {
    scope.dispose();
  }
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function randomTensor(shape: number[], seed: number): tf.Tensor {
  const random = seededRandom(seed);
  return tf.tensor(Float32Array.from({ length: sizeOf(shape) }, () => random() * 2 - 1), shape);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('weight-gradient forms, on the cpu backend', () => {
  const all = cases();

  it('cover every convolution shape of every model variant, the stride-2 stem included', () => {
    expect(all.some((c) => c.attrs.filterShape[0] === 7 && c.attrs.strides.toString() === '2,2')).toBe(true);
    expect(all.some((c) => c.attrs.filterShape[0] === 5)).toBe(true);
    expect(all.some((c) => c.x[3] === 3)).toBe(true); // the paper's RGB stem
    expect(all.length).toBeGreaterThan(20);
  });

  it.each(all.map((c, i) => [c.layer, c, i] as const))('forward-conv and im2col equal tf.grad of conv2d to 1e-4: %s', (_, c, i) => {
    const x = randomTensor(c.x, 100 * i);
    const filter = randomTensor(c.attrs.filterShape, 100 * i + 1);
    const dy = randomTensor(tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, c.attrs.strides, c.attrs.pad).shape, 100 * i + 2);
    const before = { tensors: tf.memory().numTensors, data: tf.backend().numDataIds() };
    const reference = tf.tidy(() => {
      const gradient = tf.grad((w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.attrs.strides, c.attrs.pad).mul(dy).sum());
      return gradient(filter).dataSync() as Float32Array;
    });
    const info = weightGradientConvInfo(x, c.attrs);
    const forward = runPlan((scope) => forwardConvWeightGradient(scope, x, dy, info));
    const im2col = runPlan((scope) => im2colWeightGradient(scope, x, dy, info, unfoldInJs));
    expect({ tensors: tf.memory().numTensors, data: tf.backend().numDataIds() }).toEqual(before);
    expect(scaledError(forward, reference), 'forward-conv').toBeLessThan(TOLERANCE);
    expect(scaledError(im2col, reference), 'im2col').toBeLessThan(TOLERANCE);
    tf.dispose([x, filter, dy]);
  });
});

describe('forward-convolution forms, on the cpu backend', () => {
  const all = cases();

  it.each(all.map((c, i) => [c.layer, c, i] as const))('im2col + one product equals conv2d, and fused conv2d with bias and ReLU, to 1e-4: %s', (_, c, i) => {
    const x = randomTensor(c.x, 100 * i + 3);
    const filter = randomTensor(c.attrs.filterShape, 100 * i + 4);
    const bias = randomTensor([c.attrs.filterShape[3]], 100 * i + 5);
    const { strides, pad } = c.attrs;
    const before = { tensors: tf.memory().numTensors, data: tf.backend().numDataIds() };
    const reference = tf.tidy(() => tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, strides, pad).dataSync() as Float32Array);
    const fusedReference = tf.tidy(
      () => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides, pad, bias, activation: 'relu' }).dataSync() as Float32Array,
    );
    const info = tf.backend_util.computeConv2DInfo(c.x as Shape4, c.attrs.filterShape, strides, 1, pad);
    const plain = runPlan((scope) => im2colForwardConv(scope, x, filter, info, unfoldInJs));
    const fused = runPlan((scope) => im2colForwardConv(scope, x, filter, info, unfoldInJs, { bias, activation: 'relu' }));
    expect({ tensors: tf.memory().numTensors, data: tf.backend().numDataIds() }).toEqual(before);
    expect(plain.length).toBe(reference.length);
    expect(scaledError(plain, reference), 'conv2d').toBeLessThan(TOLERANCE);
    expect(fusedReference.some((v) => v === 0) && fusedReference.some((v) => v > 0)).toBe(true);
    expect(scaledError(fused, fusedReference), 'fused conv2d').toBeLessThan(TOLERANCE);
    tf.dispose([x, filter, bias]);
  });
});
