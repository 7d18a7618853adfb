import type { DatasetShape } from '../domain/dataset';
import type { Evaluation, Misclassified } from '../domain/training';

export const MISCLASSIFIED_SHOWN = 24;

/** Counts from the predicted classes of the first `predictions.length` test images (all on the CPU: small). */
export function summarizePredictions(
  epoch: number,
  predictions: Int32Array,
  test: { labels: Uint8Array; images: Uint8Array },
  shape: DatasetShape,
): Evaluation {
  const { classes, side, channels } = shape;
  const size = side * side * channels;
  const confusion = Array.from({ length: classes.length }, () => new Array<number>(classes.length).fill(0));
  const misclassified: Misclassified[] = [];
  let correct = 0;
  predictions.forEach((predicted, index) => {
    const label = test.labels[index]!;
    confusion[label]![predicted]!++;
    if (predicted === label) correct++;
    else if (misclassified.length < MISCLASSIFIED_SHOWN) {
      const pixels = [...test.images.subarray(index * size, (index + 1) * size)];
      misclassified.push({ index, label, predicted, pixels });
    }
  });
  return { epoch, accuracy: correct / predictions.length, classes: [...classes], side, channels, confusion, misclassified };
}

/** Share of each class's test images predicted correctly (NaN for a class with none). */
export function perClassAccuracy(confusion: number[][]): number[] {
  return confusion.map((row, label) => row[label]! / row.reduce((sum, count) => sum + count, 0));
}
