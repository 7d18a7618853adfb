import type * as tf from '@tensorflow/tfjs';
import type { Stage } from '../domain/transfer';

/**
 * The part of GoogLeNet a layer belongs to: a stage fine-tuning can freeze (an auxiliary head belongs to b4, where
 * it branches off), a classifier it replaces, or neither (the input, the final dropout).
 */
export type LayerPart = Stage | 'classifier' | 'none';

/**
 * Each layer's part, recorded by the builder as it makes the network, so no rule on layer names decides what a
 * fine-tuned run freezes. tfjs layers have no field for metadata of ours; a WeakMap keeps none of them alive.
 */
const partOfLayer = new WeakMap<tf.layers.Layer, LayerPart>();

/**
 * Records `part` for the layer that made `output` and for every layer before it that has no part yet: the builder
 * calls it where each part ends.
 */
export function recordPart(output: tf.SymbolicTensor, part: LayerPart): void {
  const pending = [output];
  for (let tensor = pending.pop(); tensor !== undefined; tensor = pending.pop()) {
    if (partOfLayer.has(tensor.sourceLayer)) continue;
    partOfLayer.set(tensor.sourceLayer, part);
    pending.push(...tensor.inputs);
  }
}

/** The part the builder recorded; a layer it did not make is refused, never guessed. */
export function partOf(layer: tf.layers.Layer): LayerPart {
  const part = partOfLayer.get(layer);
  if (part === undefined) throw new Error(`Layer "${layer.name}" was not made by the GoogLeNet builder: its stage is unknown.`);
  return part;
}

export function stageOf(layer: tf.layers.Layer): Stage | null {
  const part = partOf(layer);
  return part === 'classifier' || part === 'none' ? null : part;
}

/** Whether a layer is one of the classifiers, which a fine-tuned network replaces for its own classes. */
export const isClassifier = (layer: tf.layers.Layer): boolean => partOf(layer) === 'classifier';
