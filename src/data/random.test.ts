import { describe, expect, it } from 'vitest';
import { epochOrder, seededRandom } from './random';

describe('seeded shuffling', () => {
  it('gives the same order for the same seed and epoch, a different one otherwise', () => {
    expect([...epochOrder(100, 7, 3)]).toEqual([...epochOrder(100, 7, 3)]);
    expect([...epochOrder(100, 7, 3)]).not.toEqual([...epochOrder(100, 7, 4)]);
    expect([...epochOrder(100, 7, 3)]).not.toEqual([...epochOrder(100, 8, 3)]);
  });

  it('is a permutation', () => {
    const order = [...epochOrder(1000, 1, 1)];
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(order.slice(0, 10)).not.toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('draws uniformly in [0, 1)', () => {
    const random = seededRandom(42);
    const draws = Array.from({ length: 10_000 }, random);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    expect(draws.reduce((a, b) => a + b, 0) / draws.length).toBeCloseTo(0.5, 1);
  });
});
