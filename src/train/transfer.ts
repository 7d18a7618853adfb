import * as tf from '@tensorflow/tfjs';
import { STAGES, type Stage, type TransferCheck } from '../domain/transfer';
import { isClassifier, stageOf } from '../model/layerParts';

/** Stages b1 up to `last`; none when `last` is null. */
function stagesThrough(last: Stage | null): Set<Stage> {
  return new Set(last === null ? [] : STAGES.slice(0, STAGES.indexOf(last) + 1));
}

/** Fine-tuning: start from another network's weights, and keep the stages up to one of them as they are. */
export interface Transfer {
  /** The trained network whose layers (all but the classifiers) the run starts from; absent when resuming. */
  source?: tf.LayersModel;
  /** Stages b1…this one keep their weights; null trains every layer. */
  freezeThrough: Stage | null;
  /** The source network's input channels, which its first layer fixes: the data is converted to them. */
  inputChannels: number;
}

/**
 * Copies every layer but the classifiers from a trained network into a new one of the same architecture (the new
 * one may have other classes). A layer whose weights have other shapes (another width, say) is a mistake to report.
 */
export function copyFeatureLayers(source: tf.LayersModel, target: tf.LayersModel): void {
  for (const layer of target.layers) {
    if (layer.countParams() === 0 || isClassifier(layer)) continue;
    const from = source.layers.find((l) => l.name === layer.name);
    const weights = from?.getWeights();
    const fits = weights !== undefined && weights.length === layer.getWeights().length &&
      weights.every((w, i) => tf.util.arraysEqual(w.shape, layer.getWeights()[i]!.shape));
    if (!fits) throw new Error(`The saved model has no layer "${layer.name}" of this shape: was it built with other settings?`);
    layer.setWeights(weights);
  }
}

/**
 * How far fine-tuning moved the network: the layers taken from `source`, and the new classifier against `initial`
 * (the run's network as built, before any update). Reads every weight once: call it after a run, not during one.
 */
export function measureTransfer(
  source: tf.LayersModel,
  initial: tf.LayersModel,
  tuned: tf.LayersModel,
  last: Stage | null,
): TransferCheck {
  const frozen = stagesThrough(last);
  const check: TransferCheck = { frozenMaxChange: 0, trainedMaxChange: 0, headMaxChange: 0 };
  for (const layer of tuned.layers) {
    if (layer.countParams() === 0) continue;
    const head = isClassifier(layer);
    const before = (head ? initial : source).getLayer(layer.name).getWeights();
    const change = Math.max(
      ...layer.getWeights().map((after, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(after, before[i]!))).dataSync()[0]!)),
    );
    const stage = stageOf(layer);
    const kind = head ? 'headMaxChange' : stage !== null && frozen.has(stage) ? 'frozenMaxChange' : 'trainedMaxChange';
    check[kind] = Math.max(check[kind], change);
  }
  return check;
}

/** Stops training the layers of stages b1 up to `last`; the rest, and the classifiers, still learn. */
export function freezeThrough(model: tf.LayersModel, last: Stage): void {
  const frozen = stagesThrough(last);
  for (const layer of model.layers) {
    const stage = stageOf(layer);
    if (stage !== null && frozen.has(stage)) layer.trainable = false;
  }
}
