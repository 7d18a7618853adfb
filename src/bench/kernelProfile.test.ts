import { describe, expect, it } from 'vitest';
import { aggregateKernels, kernelFamily, medianStep } from './kernelProfile';

const KERNELS = new Set(['FusedConv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPool', 'MaxPoolGrad', 'Add', 'Mul', 'Reshape']);
const isKernel = (name: string) => KERNELS.has(name);

describe('aggregateKernels', () => {
  it('sums time and calls per kernel name, largest first, with shares of the summed time', () => {
    const profile = aggregateKernels(
      [
        { name: 'FusedConv2D', kernelMs: 30 },
        { name: 'Conv2DBackpropFilter', kernelMs: 40 },
        { name: 'FusedConv2D', kernelMs: 10 },
        { name: 'Add', kernelMs: 5 },
        { name: 'Add', kernelMs: 5 },
        { name: 'Mul', kernelMs: 10 },
      ],
      isKernel,
    );
    expect(profile.totalMs).toBe(100);
    expect(profile.calls).toBe(6);
    expect(profile.kernels.map((k) => [k.kernel, k.ms, k.calls, k.share])).toEqual([
      ['FusedConv2D', 40, 2, 40],
      ['Conv2DBackpropFilter', 40, 1, 40],
      ['Add', 10, 2, 10],
      ['Mul', 10, 1, 10],
    ]);
  });

  it('sums families: both pools in pooling, unlisted kernels element-wise', () => {
    const profile = aggregateKernels(
      [
        { name: 'MaxPool', kernelMs: 2 },
        { name: 'MaxPoolGrad', kernelMs: 6 },
        { name: 'Add', kernelMs: 1 },
        { name: 'Mul', kernelMs: 1 },
        { name: 'Reshape', kernelMs: 0 },
      ],
      isKernel,
    );
    expect(profile.families.map((f) => [f.family, f.ms, f.calls, f.share])).toEqual([
      ['pooling', 8, 2, 80],
      ['element-wise', 2, 2, 20],
      ['layout and copies', 0, 1, 0],
    ]);
  });

  it('leaves custom-gradient scopes out of the sums, since their kernels are recorded on their own', () => {
    const profile = aggregateKernels(
      [
        { name: 'Mul', kernelMs: 3 },
        { name: 'Add', kernelMs: 1 },
        { name: 'softmaxCrossEntropy', kernelMs: 4 },
      ],
      isKernel,
    );
    expect(profile.totalMs).toBe(4);
    expect(profile.scopes).toEqual(['softmaxCrossEntropy']);
    expect(profile.kernels.map((k) => k.share)).toEqual([75, 25]);
  });

  it('refuses a kernel without a time rather than counting it as free', () => {
    expect(() => aggregateKernels([{ name: 'Add', kernelMs: Number.NaN }], isKernel)).toThrow('The Add kernel has no time (NaN).');
  });

  it('gives zero shares, not NaN, to a step with no measured time', () => {
    const profile = aggregateKernels([{ name: 'Reshape', kernelMs: 0 }], isKernel);
    expect(profile.kernels[0]!.share).toBe(0);
  });
});

describe('kernelFamily', () => {
  it('separates the three convolution passes', () => {
    expect(['FusedConv2D', 'Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput'].map(kernelFamily)).toEqual([
      'forward conv',
      'forward conv',
      'weight gradient',
      'input gradient',
    ]);
  });
});

describe('medianStep', () => {
  it('picks the step whose summed time is the median, the lower one of an even count', () => {
    const step = (ms: number) => aggregateKernels([{ name: 'Add', kernelMs: ms }], isKernel);
    expect(medianStep([step(9), step(3), step(5)]).totalMs).toBe(5);
    expect(medianStep([step(9), step(3), step(5), step(7)]).totalMs).toBe(5);
    expect(() => medianStep([])).toThrow('No profiled steps.');
  });
});
