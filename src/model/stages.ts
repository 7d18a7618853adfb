import type { Stage } from '../domain/transfer';

/** GoogLeNet's stages by layer name: what fine-tuning freezes. No tfjs here, so the page can use it too. */

/** Whether a layer is one of the classifiers, which a fine-tuned network replaces for its own classes. */
export function isClassifierHead(layerName: string): boolean {
  return layerName === 'logits' || /^aux\d\/logits$/.test(layerName);
}

/**
 * The stage a layer belongs to, from its name: b1 and b2 are the stem, b3–b5 the Inception stages with the pool
 * that ends each (an auxiliary head belongs to b4, where it branches off); the classifier belongs to none.
 */
export function stageOf(layerName: string): Stage | null {
  if (isClassifierHead(layerName)) return null;
  const stem = /^(b[1-5])_/.exec(layerName);
  if (stem) return stem[1] as Stage;
  const inception = /^inception_([345])/.exec(layerName);
  if (inception) return `b${inception[1]}` as Stage;
  if (/^aux\d/.test(layerName)) return 'b4';
  return null;
}
