import { describe, expect, it } from 'vitest';
import { type GpuSpec, type KernelAssumptions, type LayerShape, estimateStep } from './stepCost';

const GPU: GpuSpec = { name: 'test', flops: 1e12, bandwidth: 1e11 };
const ASSUME: KernelAssumptions = { matmulEfficiency: 0.5, instructionsPerMac: 10, turnNs: 100, dispatchUs: 0, dispatches: 0 };
/** 3×3, 8 → 16 channels on 10×10, same padding: 10·10·9·8·16 = 115,200 multiply-adds per image. */
const CONV: LayerShape = { kind: 'conv', name: 'c', input: [10, 10, 8], output: [10, 10, 16], kernel: [3, 3] };

const family = (step: ReturnType<typeof estimateStep>, name: string) => step.families.find((f) => f.family === name)!;

describe('estimateStep', () => {
  it('counts 2 FLOPs per multiply-add for each of the three convolution passes, and the bytes each must move', () => {
    const step = estimateStep([CONV], 2, 0, GPU, ASSUME);
    for (const name of ['forward conv', 'input gradient', 'weight gradient']) {
      expect(family(step, name).gflop).toBeCloseTo((2 * 2 * 115_200) / 1e9, 12);
      // x (2·800 floats), y (2·1,600) and the filter (1,152), 4 bytes each.
      expect(family(step, name).megabytes).toBeCloseTo(((1_600 + 3_200 + 1_152) * 4) / 1e6, 12);
    }
  });

  it('times the tiled passes at the assumed fraction of peak, and the weight-gradient loop by its slower bound', () => {
    const macs = 2 * 115_200;
    const step = estimateStep([CONV], 2, 0, GPU, ASSUME);
    expect(family(step, 'forward conv').asWrittenMs).toBeCloseTo((1000 * 2 * macs) / (0.5 * 1e12), 9);
    // Issue bound: 230,400 · 10 instructions at 5e11 a second = 4.6 µs; latency bound: 2 · 10 · 10 turns of 100 ns = 20 µs.
    expect(family(step, 'weight gradient').asWrittenMs).toBeCloseTo(0.02, 9);
    const issueBound = estimateStep([CONV], 2, 0, GPU, { ...ASSUME, turnNs: 1 });
    expect(family(issueBound, 'weight gradient').asWrittenMs).toBeCloseTo(0.004608, 9);
  });

  it('paces the step by the dispatches when they take longer than the kernels', () => {
    const step = estimateStep([CONV], 2, 0, GPU, { ...ASSUME, dispatches: 1000, dispatchUs: 50 });
    expect(step.dispatchMs).toBe(50);
    expect(step.totalAsWrittenMs).toBe(50);
  });

  it('adds the SGD update: read weight and gradient, write weight', () => {
    const step = estimateStep([], 1, 1_000_000, GPU, ASSUME);
    expect(family(step, 'element-wise').megabytes).toBe(12);
  });
});
