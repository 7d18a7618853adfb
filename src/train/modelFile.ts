import * as tf from '@tensorflow/tfjs';
import { readConfig } from '../config/trainConfig';
import { buildRunNetwork, layerWeights, loadLayerWeights } from '../model/googlenet';
import type { SavedModelInfo } from '../domain/savedModel';

/** What a downloaded model.json carries besides tfjs's own fields, so it can be rebuilt and used here. */
export type ModelMetadata = Omit<SavedModelInfo, 'id' | 'createdAt' | 'fromRunId'>;

const METADATA_KEY = 'googlenetPlayground';

export interface ModelFiles {
  /** tfjs's layers-model format: model.json (topology, weights manifest, our metadata) and one weights file. */
  json: string;
  weights: ArrayBuffer;
  baseName: string;
}

/** The network a saved model describes, with its weights (in layerWeights order) loaded. */
export function networkOf(metadata: ModelMetadata, weights: Float32Array[]): tf.LayersModel {
  const model = buildRunNetwork(metadata.config, { classCount: metadata.classes.length, channels: metadata.channels });
  try {
    loadLayerWeights(model, weights, "The saved weights do not fit the model's network.");
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}

/** Writes a saved model in tfjs's format (what `tf.loadLayersModel` reads), with the playground's metadata. */
export async function exportModelFiles(metadata: ModelMetadata, weights: Float32Array[]): Promise<ModelFiles> {
  const model = networkOf(metadata, weights);
  const baseName = metadata.name.replace(/[^A-Za-z0-9._-]+/g, '-') || 'googlenet';
  try {
    model.setUserDefinedMetadata({ [METADATA_KEY]: metadata } as unknown as Record<string, unknown>);
    let artifacts: tf.io.ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async (saved) => {
        artifacts = saved;
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(saved) };
      }),
    );
    const { modelTopology, format, generatedBy, convertedBy, weightSpecs, weightData, userDefinedMetadata } =
      artifacts as unknown as tf.io.ModelArtifacts;
    const json = JSON.stringify({
      modelTopology,
      format,
      generatedBy,
      convertedBy,
      weightsManifest: [{ paths: [`${baseName}.weights.bin`], weights: weightSpecs }],
      userDefinedMetadata,
    });
    const data = Array.isArray(weightData) ? tf.io.concatenateArrayBuffers(weightData) : (weightData as ArrayBuffer);
    return { json, weights: data, baseName };
  } finally {
    model.dispose();
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/**
 * Reads model.json and its weights file back into a saved model, checking everything before anything is kept:
 * a file that is not JSON, a model from elsewhere, or weights that do not fit the network it describes are refused.
 */
export function readModelFiles(jsonText: string, weightData: ArrayBuffer): { metadata: ModelMetadata; weights: Float32Array[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(jsonText);
  } catch {
    throw new Error('The model file is not JSON: choose the model.json a download from here produced.');
  }
  const manifest = isRecord(parsed) && Array.isArray(parsed.weightsManifest) ? parsed.weightsManifest : null;
  const stored = isRecord(parsed) && isRecord(parsed.userDefinedMetadata) ? parsed.userDefinedMetadata[METADATA_KEY] : null;
  if (manifest === null || !isRecord(stored)) {
    throw new Error('This model.json was not saved by GoogLeNet Playground (it has no playground settings).');
  }
  const config = readConfig(stored.config);
  const classes = Array.isArray(stored.classes) && stored.classes.every((c) => typeof c === 'string') ? (stored.classes as string[]) : null;
  const { side, channels } = stored;
  if (config === null || classes === null || typeof side !== 'number' || (channels !== 1 && channels !== 3)) {
    throw new Error("The model's playground settings are incomplete or damaged.");
  }
  const metadata: ModelMetadata = {
    name: typeof stored.name === 'string' ? stored.name : 'imported model',
    config,
    classes,
    side,
    channels,
    datasetName: typeof stored.datasetName === 'string' ? stored.datasetName : 'unknown',
    epoch: typeof stored.epoch === 'number' ? stored.epoch : 0,
  };
  const specs = manifest.flatMap((group: unknown) => (isRecord(group) && Array.isArray(group.weights) ? group.weights : []));
  let named: tf.NamedTensorMap;
  try {
    named = tf.io.decodeWeights(weightData, specs as tf.io.WeightsManifestEntry[]);
  } catch {
    throw new Error('The weights file does not match model.json (is it the .weights.bin of the same download?).');
  }
  const model = buildRunNetwork(config, { classCount: classes.length, channels });
  try {
    const weights = layerWeights(model).map((variable) => {
      const tensor = named[variable.originalName];
      if (tensor === undefined || !tf.util.arraysEqual(tensor.shape, variable.read().shape)) {
        throw new Error(`The weights file has no "${variable.originalName}" of the shape this network needs.`);
      }
      return tensor.dataSync() as Float32Array;
    });
    return { metadata, weights };
  } finally {
    model.dispose();
    Object.values(named).forEach((t) => t.dispose());
  }
}
