import { describe, expect, it } from 'vitest';
import type { AdapterDescription } from '../domain/backend';
import {
  type AdapterTables,
  type ConvShape,
  SHIPPED_TABLES,
  type StrategyTable,
  type WeightGradientStrategy,
  chooseStrategy,
  convPolicyFor,
  convShapeOf,
  layerKey,
  parseAdapterTables,
} from './convStrategy';

const SHAPE: ConvShape = { kernel: [3, 3], strides: [1, 1], pad: 'same', inChannels: 8, outChannels: 16, height: 8, width: 8, batch: 32 };
const MS = { builtin: 3, 'forward-conv': 2, im2col: 1 };

const TABLE: StrategyTable<WeightGradientStrategy> = {
  [layerKey(SHAPE)]: { '8': { strategy: 'forward-conv', ms: MS }, '32': { strategy: 'im2col', ms: MS } },
};

const GPU: AdapterDescription = { vendor: 'nvidia', architecture: 'hopper', description: 'H200', isSoftware: false };
const SOFTWARE: AdapterDescription = { vendor: 'google', architecture: 'swiftshader', description: 'another build', isSoftware: true };

const tablesOf = (adapter: AdapterDescription): AdapterTables => ({ adapter, measuredWith: 'a test', weightGradient: TABLE, forward: {}, inputGradient: {} });

describe('choosing a convolution strategy', () => {
  it('keys a layer by its shape without the batch, from the kernel’s attributes', () => {
    const fromKernel = convShapeOf([32, 8, 8, 8], [3, 3, 8, 16], { strides: [1, 1], pad: 'same' });
    expect(fromKernel).toEqual(SHAPE);
    expect(layerKey(SHAPE)).toBe('3x3 s1 same cin8 cout16 8x8');
    expect(layerKey(convShapeOf([2, 9, 9, 1], [7, 7, 1, 4], { strides: 2, pad: 'valid' }))).toBe('7x7 s2 valid cin1 cout4 9x9');
  });

  it('takes the measured batch, else the nearest one measured for the layer, else the policy’s fallback', () => {
    const policy = { table: TABLE, otherwise: 'gemm' } as const;
    expect(chooseStrategy(policy, SHAPE)).toBe('im2col');
    expect(chooseStrategy(policy, { ...SHAPE, batch: 4 })).toBe('forward-conv');
    expect(chooseStrategy(policy, { ...SHAPE, batch: 128 })).toBe('im2col');
    expect(chooseStrategy(policy, { ...SHAPE, outChannels: 17 })).toBe('gemm');
  });

  it('forces one strategy on every layer', () => {
    expect(chooseStrategy({ force: 'builtin' }, SHAPE)).toBe('builtin');
    expect(chooseStrategy({ force: 'forward-conv' }, { ...SHAPE, outChannels: 17 })).toBe('forward-conv');
  });

  it('uses an adapter’s own tables, any software table on a software adapter, and on an untuned GPU the implicit GEMM for weight gradients only', () => {
    const tables = [tablesOf(GPU), tablesOf({ ...SOFTWARE, description: 'measured here' })];
    const tuned = convPolicyFor(GPU, tables);
    expect(chooseStrategy(tuned.weightGradient, SHAPE)).toBe('im2col');
    expect(chooseStrategy(tuned.weightGradient, { ...SHAPE, outChannels: 17 })).toBe('gemm');
    expect(chooseStrategy(convPolicyFor(SOFTWARE, tables).weightGradient, SHAPE)).toBe('im2col');
    expect(chooseStrategy(convPolicyFor(SOFTWARE, tables).weightGradient, { ...SHAPE, outChannels: 17 })).toBe('builtin');
    const untuned = convPolicyFor({ ...GPU, architecture: 'ampere' }, tables);
    expect(untuned).toEqual({ weightGradient: { force: 'gemm' }, forward: { force: 'builtin' }, inputGradient: { force: 'builtin' } });
  });

  it('refuses tables with a strategy their kernel does not have, or no adapter, and ships valid ones', () => {
    const entry = (weightGradient: unknown, forward: unknown = {}) => ({ tables: [{ adapter: GPU, measuredWith: 'x', weightGradient, forward }] });
    expect(() => parseAdapterTables(entry({ a: { '8': { strategy: 'winograd', ms: MS } } }))).toThrow(/strategy of weightGradient a/);
    expect(() => parseAdapterTables(entry({}, { a: { '8': { strategy: 'forward-conv', ms: MS } } }))).toThrow(/strategy of forward a/);
    expect(() => parseAdapterTables({ tables: [{ measuredWith: 'x' }] })).toThrow(/adapter/);
    expect(SHIPPED_TABLES.some((t) => t.adapter.isSoftware && Object.keys(t.weightGradient).length > 0)).toBe(true);
  });
});
