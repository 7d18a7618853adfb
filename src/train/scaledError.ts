/**
 * How far a result is from a reference, as the equality tests across backends measure it: the largest absolute
 * difference over the reference's largest magnitude (or over 1 where that is smaller). Different lengths are
 * infinitely far apart.
 */
export function scaledError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let difference = 0;
  let scale = 1;
  for (let i = 0; i < expected.length; i++) {
    difference = Math.max(difference, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return difference / scale;
}
