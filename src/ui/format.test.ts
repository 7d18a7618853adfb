import { expect, it } from 'vitest';
import { formatEstimate } from './format';

it('rounds an estimate to a unit that suits its size', () => {
  expect(formatEstimate(45)).toBe('about 45 s');
  expect(formatEstimate(298)).toBe('about 5 min');
  expect(formatEstimate(86 * 60)).toBe('about 86 min');
  expect(formatEstimate(3.04 * 3600)).toBe('about 3 h');
  expect(formatEstimate(58.6 * 3600)).toBe('about 2 days');
  expect(formatEstimate(10995 * 3600)).toBe('about 1.3 years');
});
