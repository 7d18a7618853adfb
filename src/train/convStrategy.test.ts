import { describe, expect, it } from 'vitest';
import {
  type ConvShape,
  FORWARD_STRATEGIES,
  SHIPPED_FORWARD_TABLE,
  SHIPPED_WEIGHT_GRADIENT_TABLE,
  WEIGHT_GRADIENT_STRATEGIES,
  type WeightGradientTable,
  chooseStrategy,
  convShapeOf,
  layerKey,
  parseTable,
} from './convStrategy';

const SHAPE: ConvShape = { kernel: [3, 3], strides: [1, 1], pad: 'same', inChannels: 8, outChannels: 16, height: 8, width: 8, batch: 32 };
const MS = { builtin: 3, 'forward-conv': 2, im2col: 1 };

const TABLE: WeightGradientTable = {
  adapter: 'test',
  layers: {
    [layerKey(SHAPE)]: { '8': { strategy: 'forward-conv', ms: MS }, '32': { strategy: 'im2col', ms: MS } },
  },
};

describe('choosing a convolution strategy', () => {
  it('keys a layer by its shape without the batch, from the kernel’s attributes', () => {
    const fromKernel = convShapeOf([32, 8, 8, 8], [3, 3, 8, 16], { strides: [1, 1], pad: 'same' });
    expect(fromKernel).toEqual(SHAPE);
    expect(layerKey(SHAPE)).toBe('3x3 s1 same cin8 cout16 8x8');
    expect(layerKey(convShapeOf([2, 9, 9, 1], [7, 7, 1, 4], { strides: 2, pad: 'valid' }))).toBe('7x7 s2 valid cin1 cout4 9x9');
  });

  it('takes the measured batch, else the nearest one measured for the layer, else the built-in kernel', () => {
    const policy = { table: TABLE };
    expect(chooseStrategy(policy, SHAPE)).toBe('im2col');
    expect(chooseStrategy(policy, { ...SHAPE, batch: 4 })).toBe('forward-conv');
    expect(chooseStrategy(policy, { ...SHAPE, batch: 128 })).toBe('im2col');
    expect(chooseStrategy(policy, { ...SHAPE, outChannels: 17 })).toBe('builtin');
  });

  it('forces one strategy on every layer', () => {
    expect(chooseStrategy({ force: 'builtin' }, SHAPE)).toBe('builtin');
    expect(chooseStrategy({ force: 'forward-conv' }, { ...SHAPE, outChannels: 17 })).toBe('forward-conv');
  });

  it('refuses a table with a strategy its kernel does not have, and ships a valid one per kernel', () => {
    expect(() => parseTable({ adapter: 'x', layers: { a: { '8': { strategy: 'winograd', ms: MS } } } }, WEIGHT_GRADIENT_STRATEGIES, 'w')).toThrow(
      /strategy of a/,
    );
    expect(() => parseTable({ adapter: 'x', layers: { a: { '8': { strategy: 'forward-conv', ms: MS } } } }, FORWARD_STRATEGIES, 'f')).toThrow(
      /strategy of a/,
    );
    expect(() => parseTable({ layers: {} }, FORWARD_STRATEGIES, 'f')).toThrow(/adapter/);
    expect(Object.keys(SHIPPED_WEIGHT_GRADIENT_TABLE.layers).length).toBeGreaterThan(0);
    expect(Object.keys(SHIPPED_FORWARD_TABLE.layers).length).toBeGreaterThan(0);
  });
});
