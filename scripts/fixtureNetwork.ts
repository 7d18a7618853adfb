import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../src/config/trainConfig';
import { buildRunNetwork, layerWeights } from '../src/model/googlenet';

/**
 * A network's seeded initial weights, with batch norm's γ, β and running statistics drawn away from their
 * initial 1, 0, 0, 1 so a fixture shows whether each of them is read.
 */
export function fixtureWeights(config: TrainConfig, classCount: number, channels: number): Float32Array[] {
  const model = buildRunNetwork(config, { classCount, channels });
  let seed = config.seed * 100;
  const draw = (size: number, low: number, high: number) => tf.tidy(() => tf.randomUniform([size], low, high, 'float32', seed++).dataSync() as Float32Array);
  const norms = new Set(model.layers.filter((l) => l.getClassName() === 'BatchNormalization').flatMap((l) => l.weights));
  const ranges: Record<string, [number, number]> = { gamma: [0.5, 1.5], beta: [-0.5, 0.5], moving_mean: [-0.3, 0.3], moving_variance: [0.5, 2] };
  const weights = layerWeights(model).map((w) => {
    if (!norms.has(w)) return w.read().dataSync().slice() as Float32Array;
    const [low, high] = ranges[w.originalName.slice(w.originalName.lastIndexOf('/') + 1)]!;
    return draw(w.read().size, low, high);
  });
  model.dispose();
  return weights;
}

/** N × side × side × channels values on a 1/256 grid: exact in float32 and short in JSON. */
export function fixtureInput(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  return tf.tidy(() => tf.randomUniform(shape, 0, 1, 'float32', seed).mul(256).floor().div(256) as tf.Tensor4D);
}
