import * as tf from '@tensorflow/tfjs';

/**
 * The values of several tensors in one read: flattened and concatenated on the device (float32; class indices and
 * counts below 2^24 are exact), one GPU→CPU copy, then split. On WebGPU every read is a round trip that stalls the
 * queue's caller, so an epoch's ~300 weight tensors read one by one cost more than reading them once.
 */
export async function readTogether(tensors: readonly tf.Tensor[]): Promise<Float32Array[]> {
  if (tensors.length === 0) return [];
  const joined = tf.tidy(() => tf.concat(tensors.map((t) => tf.reshape(t.dtype === 'float32' ? t : tf.cast(t, 'float32'), [-1]))));
  try {
    const values = (await joined.data()) as Float32Array;
    let offset = 0;
    return tensors.map((t) => values.slice(offset, (offset += t.size)));
  } finally {
    joined.dispose();
  }
}
