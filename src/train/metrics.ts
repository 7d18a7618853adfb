import * as tf from '@tensorflow/tfjs';

/** Number of rows whose arg-max logit is the true label, as an int32 scalar on the device. */
export function countCorrect(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'int32'));
}

/** d2l's loss: mean softmax cross-entropy over the batch. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, numClasses: number): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, numClasses), logits) as tf.Scalar;
}

/**
 * Sums kept on the device across batches, so the loop never waits on the GPU to learn a loss;
 * they are read once per epoch (and sampled for the live curve).
 */
export class DeviceSums {
  private lossSum: tf.Scalar = tf.keep(tf.scalar(0));
  private correctSum: tf.Scalar = tf.keep(tf.scalar(0, 'int32'));
  private examples = 0;

  add(meanLoss: tf.Scalar, correct: tf.Scalar, batchSize: number): void {
    const nextLoss = tf.keep(tf.tidy(() => tf.add(this.lossSum, tf.mul(meanLoss, batchSize))));
    const nextCorrect = tf.keep(tf.add(this.correctSum, correct));
    this.lossSum.dispose();
    this.correctSum.dispose();
    this.lossSum = nextLoss as tf.Scalar;
    this.correctSum = nextCorrect as tf.Scalar;
    this.examples += batchSize;
  }

  /** The two sums as one tensor [Σ loss, correct], to be read with the epoch's other results (readTogether). */
  totals(): tf.Tensor1D {
    return tf.tidy(() => tf.stack([this.lossSum, tf.cast(this.correctSum, 'float32')]) as tf.Tensor1D);
  }

  /** The epoch's means from the values of totals(). */
  meansOf([lossSum, correct]: Float32Array): { meanLoss: number; accuracy: number; examples: number } {
    return { meanLoss: lossSum! / this.examples, accuracy: correct! / this.examples, examples: this.examples };
  }

  dispose(): void {
    this.lossSum.dispose();
    this.correctSum.dispose();
  }
}
