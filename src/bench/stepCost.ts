/**
 * An on-paper cost of one training step, per kernel family, from the network's layer shapes: FLOPs and the bytes
 * each kernel must move at least, and what they would take on a GPU given its peak rates. It is an estimate, made
 * to say which kernel would dominate where no GPU has measured it; `npm run bench -- --profile` measures.
 */
import type * as tf from '@tensorflow/tfjs';
import type { KernelFamily } from './kernelProfile';

const FLOAT_BYTES = 4;

/** One layer of the network as a step sees it; shapes are per example, NHWC without N. */
export type LayerShape =
  | { kind: 'conv'; name: string; input: [number, number, number]; output: [number, number, number]; kernel: [number, number] }
  | { kind: 'pool'; name: string; input: [number, number, number]; output: [number, number, number]; window: [number, number] }
  | { kind: 'concat'; name: string; output: [number, number, number] }
  | { kind: 'dense'; name: string; inputs: number; units: number };

export interface GpuSpec {
  name: string;
  /** Peak fp32 FLOP/s without tensor cores: one fused multiply-add per lane per cycle, counted as 2. */
  flops: number;
  /** Memory bandwidth, bytes/s. */
  bandwidth: number;
}

/**
 * What tfjs-webgpu's kernels are assumed to reach: the convolution kernels that are tiled matrix products (forward,
 * input gradient) a fraction of peak; the weight gradient is a plain loop, one thread per filter element, serial over
 * N × outH × outW, each turn `instructionsPerMac` instructions and, when too few threads run to hide it, `turnNs`.
 */
export interface KernelAssumptions {
  matmulEfficiency: number;
  instructionsPerMac: number;
  turnNs: number;
  /** tfjs's fixed cost of one dispatch (encoding, bind groups, uniforms), paid once per kernel call. */
  dispatchUs: number;
  dispatches: number;
}

export interface FamilyCost {
  family: KernelFamily;
  gflop: number;
  megabytes: number;
  /** At the GPU's peak: max(FLOPs / peak, bytes / bandwidth), layer by layer. */
  rooflineMs: number;
  /** With the kernels as tfjs-webgpu writes them (see KernelAssumptions). */
  asWrittenMs: number;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

interface Work {
  family: KernelFamily;
  flops: number;
  bytes: number;
  asWrittenMs: (gpu: GpuSpec) => number;
}

const rooflineMs = (gpu: GpuSpec, flops: number, bytes: number) => 1000 * Math.max(flops / gpu.flops, bytes / gpu.bandwidth);

/** The kernels one layer costs in a training step at batch `n`, under `assume`. */
function layerWork(layer: LayerShape, n: number, assume: KernelAssumptions): Work[] {
  const atBandwidth = (family: KernelFamily, flops: number, bytes: number): Work => ({
    family,
    flops,
    bytes,
    asWrittenMs: (gpu) => rooflineMs(gpu, flops, bytes),
  });
  switch (layer.kind) {
    case 'conv': {
      const [kh, kw] = layer.kernel;
      const cin = layer.input[2];
      const [oh, ow, cout] = layer.output;
      const macs = n * oh * ow * kh * kw * cin * cout;
      const x = n * size(layer.input) * FLOAT_BYTES;
      const y = n * size(layer.output) * FLOAT_BYTES;
      const w = kh * kw * cin * cout * FLOAT_BYTES;
      const tiled = (family: KernelFamily, bytes: number): Work => ({
        family,
        flops: 2 * macs,
        bytes,
        asWrittenMs: (gpu) => rooflineMs({ ...gpu, flops: gpu.flops * assume.matmulEfficiency }, 2 * macs, bytes),
      });
      const serialTurns = n * oh * ow;
      return [
        tiled('forward conv', x + w + y),
        tiled('input gradient', y + w + x),
        {
          family: 'weight gradient',
          flops: 2 * macs,
          bytes: x + y + w,
          asWrittenMs: (gpu) =>
            Math.max((1000 * macs * assume.instructionsPerMac) / (gpu.flops / 2), (serialTurns * assume.turnNs) / 1e6),
        },
        // Backward of the fused bias + ReLU: the bias gradient sums dy; ReLU's gradient reads y and dy, writes dy.
        atBandwidth('reduction', n * size(layer.output), y),
        atBandwidth('element-wise', n * size(layer.output), 3 * y),
      ];
    }
    case 'pool': {
      const [wh, ww] = layer.window;
      const x = n * size(layer.input) * FLOAT_BYTES;
      const y = n * size(layer.output) * FLOAT_BYTES;
      const compares = n * size(layer.output) * wh * ww;
      // Forward; then tfjs's gradient: the argmax positions (a second forward pass), and dx from dy and positions.
      return [atBandwidth('pooling', compares, x + y), atBandwidth('pooling', 2 * compares, x + y + y + y + x)];
    }
    case 'concat': {
      const y = n * size(layer.output) * FLOAT_BYTES;
      // The copy forward, and the slices of its gradient backward.
      return [atBandwidth('layout and copies', 0, 2 * y), atBandwidth('layout and copies', 0, 2 * y)];
    }
    case 'dense': {
      const flops = 2 * n * layer.inputs * layer.units;
      const bytes = (n * (layer.inputs + layer.units) + layer.inputs * layer.units) * FLOAT_BYTES;
      return [atBandwidth('matMul', 3 * flops, 3 * bytes)];
    }
  }
}

/** Per family, largest as-written time first; the SGD update and the dispatches are rows of their own. */
export function estimateStep(
  layers: readonly LayerShape[],
  batch: number,
  params: number,
  gpu: GpuSpec,
  assume: KernelAssumptions,
): { families: FamilyCost[]; dispatchMs: number; totalRooflineMs: number; totalAsWrittenMs: number } {
  const update: Work = {
    family: 'element-wise',
    flops: 2 * params,
    bytes: 3 * params * FLOAT_BYTES,
    asWrittenMs: (g) => rooflineMs(g, 2 * params, 3 * params * FLOAT_BYTES),
  };
  const work = [...layers.flatMap((layer) => layerWork(layer, batch, assume)), update];
  const byFamily = new Map<KernelFamily, FamilyCost>();
  for (const item of work) {
    const cost = byFamily.get(item.family) ?? { family: item.family, gflop: 0, megabytes: 0, rooflineMs: 0, asWrittenMs: 0 };
    cost.gflop += item.flops / 1e9;
    cost.megabytes += item.bytes / 1e6;
    cost.rooflineMs += rooflineMs(gpu, item.flops, item.bytes);
    cost.asWrittenMs += item.asWrittenMs(gpu);
    byFamily.set(item.family, cost);
  }
  const families = [...byFamily.values()].sort((a, b) => b.asWrittenMs - a.asWrittenMs);
  const dispatchMs = (assume.dispatches * assume.dispatchUs) / 1000;
  return {
    families,
    dispatchMs,
    totalRooflineMs: families.reduce((t, f) => t + f.rooflineMs, 0),
    // The CPU encodes dispatches while the GPU runs earlier ones: the slower of the two sets the pace.
    totalAsWrittenMs: Math.max(families.reduce((t, f) => t + f.asWrittenMs, 0), dispatchMs),
  };
}

const shape3 = (shape: tf.Shape | tf.Shape[]): [number, number, number] => {
  const [, h, w, c] = shape as (number | null)[];
  if (typeof h !== 'number' || typeof w !== 'number' || typeof c !== 'number') throw new Error(`Not an NHWC shape: ${JSON.stringify(shape)}`);
  return [h, w, c];
};

/** The layers of a built tfjs-layers network that the estimate counts; padding layers only feed them. */
export function layerShapes(model: tf.LayersModel): LayerShape[] {
  return model.layers.flatMap((layer): LayerShape[] => {
    const config = layer.getConfig();
    const input = () => shape3((layer.input as tf.SymbolicTensor).shape);
    switch (layer.getClassName()) {
      case 'Conv2D':
        return [{ kind: 'conv', name: layer.name, input: input(), output: shape3(layer.outputShape), kernel: config.kernelSize as [number, number] }];
      case 'MaxPooling2D':
      case 'AveragePooling2D':
        return [{ kind: 'pool', name: layer.name, input: input(), output: shape3(layer.outputShape), window: config.poolSize as [number, number] }];
      case 'Concatenate':
        return [{ kind: 'concat', name: layer.name, output: shape3(layer.outputShape) }];
      case 'Dense': {
        const [inputs, units] = layer.getWeights(false)[0]!.shape as [number, number];
        return [{ kind: 'dense', name: layer.name, inputs, units }];
      }
      default:
        return [];
    }
  });
}

/** The GPUs the estimate is made for: the laptop and H100, and the H200 the benchmark measured once. */
export const ESTIMATE_GPUS: GpuSpec[] = [
  { name: 'laptop GPU (~5 TFLOP/s, 200 GB/s)', flops: 5e12, bandwidth: 200e9 },
  { name: 'H100 (~50 TFLOP/s fp32, 3 TB/s)', flops: 50e12, bandwidth: 3e12 },
  { name: 'H200 (67 TFLOP/s fp32, 4.8 TB/s)', flops: 67e12, bandwidth: 4.8e12 },
];

/**
 * Read off tfjs-webgpu 4.22's shaders, not measured: the weight-gradient loop spends about 16 instructions per
 * multiply-add (two 4-D index computations, two bounds checks, two loads, the loop), and where its few threads
 * cannot hide latency a turn waits about an L2 hit (~150 ns). Tiled products at 30 % of peak is a guess for fp32
 * WGSL without tensor cores. 901 dispatches and 69 µs each are the H200's measurement of the small network.
 */
export const TFJS_WEBGPU_ASSUMPTIONS: KernelAssumptions = {
  matmulEfficiency: 0.3,
  instructionsPerMac: 16,
  turnNs: 150,
  dispatchUs: 69,
  dispatches: 901,
};
