import type { DownloadFile } from '../domain/file';
import { buildRunNetwork } from '../model/googlenet';
import { decodeSafetensors, encodeSafetensors } from '../model/safetensors';
import { type TorchEntry, fromTorchTensors, toTorchTensors, torchEntries } from '../model/torchNames';
import { type ModelMetadata, downloadBaseName, readModelMetadata } from './modelFile';

/**
 * A saved model's weights as .safetensors under PyTorch's state_dict names (src/model/torchNames.ts), so train.py's
 * model loads them strictly, and the reverse. The header's `__metadata__` carries the playground's settings.
 */
export const WEIGHTS_FORMAT = 'googlenet-playground-weights';
export const WEIGHTS_VERSION = '1';

function entriesOf(metadata: ModelMetadata): TorchEntry[] {
  const model = buildRunNetwork(metadata.config, { classCount: metadata.classes.length, channels: metadata.channels });
  try {
    return torchEntries(model);
  } finally {
    model.dispose();
  }
}

/** Weights in layerWeights order → a .safetensors file (batch norm's step counters written as 0). */
export function exportSafetensors(metadata: ModelMetadata, weights: Float32Array[]): DownloadFile {
  const tensors = toTorchTensors(entriesOf(metadata), weights);
  const header = { format: WEIGHTS_FORMAT, version: WEIGHTS_VERSION, model: JSON.stringify(metadata) };
  return { fileName: `${downloadBaseName(metadata)}.safetensors`, bytes: encodeSafetensors(tensors, header) };
}

const MISSING_METADATA =
  `This .safetensors file lacks GoogLeNet Playground's metadata, which says which network the weights belong to: its ` +
  `header's "__metadata__" needs "format": "${WEIGHTS_FORMAT}", "version": "${WEIGHTS_VERSION}" and "model": a JSON ` +
  'string of {name, config, classes, side, channels, datasetName, epoch}. train.py writes it; a bare state_dict does not have it.';

/**
 * A .safetensors file → a saved model, everything checked before anything is kept: the file's layout, the
 * playground's metadata, and that the tensors are exactly the state_dict of the network the metadata describes.
 */
export function readSafetensorsModel(bytes: Uint8Array): { metadata: ModelMetadata; weights: Float32Array[] } {
  const { tensors, metadata: header } = decodeSafetensors(bytes);
  if (header === null || header.format !== WEIGHTS_FORMAT || header.model === undefined) throw new Error(MISSING_METADATA);
  if (header.version !== WEIGHTS_VERSION) {
    throw new Error(`This .safetensors file is version ${JSON.stringify(header.version)} of the playground's format; this build reads version ${WEIGHTS_VERSION}.`);
  }
  let stored: unknown;
  try {
    stored = JSON.parse(header.model);
  } catch {
    throw new Error(`The header's "model" metadata is not JSON. ${MISSING_METADATA}`);
  }
  const metadata = readModelMetadata(stored);
  if (metadata === null) throw new Error(`The header's "model" metadata is incomplete or damaged. ${MISSING_METADATA}`);
  return { metadata, weights: fromTorchTensors(entriesOf(metadata), tensors) };
}
