import { describe, expect, it } from 'vitest';
import { MISCLASSIFIED_SHOWN, perClassAccuracy, summarizePredictions } from './evaluation';

describe('summarizePredictions', () => {
  const side = 2;
  const labels = Uint8Array.from([0, 1, 2, 1, 0]);
  const images = Uint8Array.from({ length: labels.length * side * side }, (_, i) => i);

  it('counts a confusion matrix of true × predicted and the accuracy', () => {
    const evaluation = summarizePredictions(3, Int32Array.from([0, 2, 2, 1, 1]), { labels, images }, { classes: ['a', 'b', 'c'], side, channels: 1 });
    expect(evaluation.epoch).toBe(3);
    expect(evaluation.accuracy).toBe(3 / 5);
    expect(evaluation.confusion).toEqual([
      [1, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(perClassAccuracy(evaluation.confusion)).toEqual([0.5, 0.5, 1]);
  });

  it('keeps each mistake with its pixels, up to a limit', () => {
    const evaluation = summarizePredictions(1, Int32Array.from([0, 2, 2, 1, 1]), { labels, images }, { classes: ['a', 'b', 'c'], side, channels: 1 });
    expect(evaluation.misclassified).toEqual([
      { index: 1, label: 1, predicted: 2, pixels: [4, 5, 6, 7] },
      { index: 4, label: 0, predicted: 1, pixels: [16, 17, 18, 19] },
    ]);
    const many = summarizePredictions(1, new Int32Array(100).fill(1), { labels: new Uint8Array(100), images: new Uint8Array(400) }, { classes: ['a', 'b'], side, channels: 1 });
    expect(many.misclassified).toHaveLength(MISCLASSIFIED_SHOWN);
  });

  it('reports a class without test images as unknown, not as 0 %', () => {
    expect(perClassAccuracy([[2, 0], [0, 0]])).toEqual([1, NaN]);
  });
});
