/** mulberry32: a tiny, fast 32-bit generator; the same seed always yields the same sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of 0..n-1. */
export function shuffledIndices(n: number, random: () => number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}

/** The order for a given epoch depends only on (seed, epoch), so a resumed run sees the same batches. */
export function epochOrder(n: number, seed: number, epoch: number): Int32Array {
  return shuffledIndices(n, seededRandom(Math.imul(seed ^ 0x9e3779b9, 31) + epoch));
}

/** The augmentation draws of one update depend only on (seed, step), so a resumed run repeats them exactly. */
export function augmentationRandom(seed: number, step: number): () => number {
  return seededRandom(Math.imul(seed ^ 0x85ebca6b, 0x27d4eb2f) + step);
}
