import * as tf from '@tensorflow/tfjs';
import { strToU8, zipSync } from 'fflate';
import { readConfig } from '../config/trainConfig';
import { readZip } from '../data/zip';
import type { DownloadFile } from '../domain/file';
import type { SavedModelInfo } from '../domain/savedModel';
import { PoolPadding, buildRunNetwork, layerWeights, loadLayerWeights } from '../model/googlenet';

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

/** A file name made of the model's name: letters, digits, '.', '_' and '-'. */
export const downloadBaseName = (metadata: ModelMetadata) => metadata.name.replace(/[^A-Za-z0-9._-]+/g, '-') || 'googlenet';

/** Writes a saved model in tfjs's format (what `tf.loadLayersModel` reads), with the playground's metadata. */
export async function exportModelFiles(metadata: ModelMetadata, weights: Float32Array[]): Promise<ModelFiles> {
  const model = networkOf(metadata, weights);
  const baseName = downloadBaseName(metadata);
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
      modelTopology: withStandardPools(modelTopology as Topology, model),
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

/** A functional model's JSON topology, as far as the pool rewrite reads it. */
interface TopologyLayer {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, Record<string, unknown>][][];
}
interface Topology {
  config: { layers: TopologyLayer[]; output_layers: [string, number, number][] };
}

/** How tfjs's standard layers give a max pool over padding that is never picked: pool mode, zeros appended, outputs cut. */
interface StandardPool {
  padding: 'valid' | 'same';
  appended: number;
  cropped: number;
}

/**
 * Along one side of `size` cells padded by `before`/`after` cells: tfjs's 'same' pool ignores its own padding just
 * as PyTorch never picks its, so only the split of that padding has to match. Appending a zero cell shifts the
 * split by one; it is exact when no kept window reaches that cell, and the extra output is cropped.
 */
function standardPool(size: number, [before, after]: [number, number], kernel: number, stride: number): StandardPool {
  const outputs = Math.floor((size + before + after - kernel) / stride) + 1;
  if (before === 0 && Math.floor((size - kernel) / stride) + 1 === outputs) return { padding: 'valid', appended: 0, cropped: 0 };
  const keptEnd = -before + (outputs - 1) * stride + kernel;
  for (const appended of [0, 1]) {
    const sameOutputs = Math.ceil((size + appended) / stride);
    const sameBefore = Math.floor(Math.max((sameOutputs - 1) * stride + kernel - size - appended, 0) / 2);
    if (sameBefore === before && sameOutputs >= outputs && (appended === 0 || keptEnd <= size)) {
      return { padding: 'same', appended, cropped: sameOutputs - outputs };
    }
  }
  throw new Error(`No standard tfjs pool matches a ${kernel}/${stride} pool over ${size} cells padded ${before}, ${after}.`);
}

/**
 * The topology with every PoolPadding → MaxPooling2D pair written as standard layers (an optional ZeroPadding2D,
 * a 'valid' or 'same' MaxPooling2D, an optional Cropping2D), exactly, for every activation: so stock tfjs loads
 * the download without the playground's class registered. Weights are untouched: these layers have none.
 */
function withStandardPools(topology: Topology, model: tf.LayersModel): Topology {
  const layers = topology.config.layers;
  const pools = new Map<string, { pad: TopologyLayer; plan: StandardPool }>();
  for (const pad of layers.filter((layer) => layer.class_name === PoolPadding.className)) {
    const pool = layers.find((layer) => layer.inbound_nodes[0]?.[0]?.[0] === pad.name);
    if (pool?.class_name !== 'MaxPooling2D') throw new Error(`Padding "${pad.name}" does not feed a max pool.`);
    const [, height, width] = (model.getLayer(pad.name).input as tf.SymbolicTensor).shape as number[];
    const [rows, columns] = pad.config.padding as [[number, number], [number, number]];
    const [kernel] = pool.config.pool_size as number[];
    const [stride] = pool.config.strides as number[];
    const plan = standardPool(height!, rows, kernel!, stride!);
    if (JSON.stringify(plan) !== JSON.stringify(standardPool(width!, columns, kernel!, stride!))) {
      throw new Error(`Pool "${pool.name}" pads rows and columns differently.`);
    }
    pools.set(pool.name, { pad, plan });
  }
  const cropName = (pool: string) => `${pool}_crop`;
  const rename = (name: string) => (pools.get(name)?.plan.cropped ? cropName(name) : name);
  const rewire = (nodes: TopologyLayer['inbound_nodes']) =>
    nodes.map((node) => node.map(([name, ...rest]) => [rename(name), ...rest] as TopologyLayer['inbound_nodes'][number][number]));
  const standard: TopologyLayer[] = [];
  const padsKept = new Map([...pools.values()].map(({ pad, plan }) => [pad.name, plan.appended]));
  for (const layer of layers) {
    const appended = padsKept.get(layer.name);
    const pool = pools.get(layer.name);
    if (appended !== undefined) {
      if (appended === 0) continue;
      const padding = [[0, appended], [0, appended]];
      standard.push({ ...layer, class_name: 'ZeroPadding2D', config: { name: layer.name, trainable: true, padding, data_format: 'channels_last' } });
    } else if (pool !== undefined) {
      const { pad, plan } = pool;
      const inbound = plan.appended > 0 ? layer.inbound_nodes : pad.inbound_nodes;
      standard.push({ ...layer, config: { ...layer.config, padding: plan.padding }, inbound_nodes: inbound });
      if (plan.cropped > 0) {
        const cropping = [[0, plan.cropped], [0, plan.cropped]];
        const name = cropName(layer.name);
        standard.push({ name, class_name: 'Cropping2D', config: { name, trainable: true, cropping, data_format: 'channels_last' }, inbound_nodes: [[[layer.name, 0, 0, {}]]] });
      }
    } else {
      standard.push({ ...layer, inbound_nodes: rewire(layer.inbound_nodes) });
    }
  }
  const outputs = topology.config.output_layers.map(([name, ...rest]) => [rename(name), ...rest] as [string, number, number]);
  return { ...topology, config: { ...topology.config, layers: standard, output_layers: outputs } };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** The playground's settings stored beside a model's weights, or null when they are incomplete or damaged. */
export function readModelMetadata(stored: unknown): ModelMetadata | null {
  if (!isRecord(stored)) return null;
  const config = readConfig(stored.config);
  const classes = Array.isArray(stored.classes) && stored.classes.every((c) => typeof c === 'string') ? (stored.classes as string[]) : null;
  const { side, channels } = stored;
  if (config === null || classes === null || typeof side !== 'number' || (channels !== 1 && channels !== 3)) return null;
  return {
    name: typeof stored.name === 'string' ? stored.name : 'imported model',
    config,
    classes,
    side,
    channels,
    datasetName: typeof stored.datasetName === 'string' ? stored.datasetName : 'unknown',
    epoch: typeof stored.epoch === 'number' ? stored.epoch : 0,
  };
}

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
  const metadata = readModelMetadata(stored);
  if (metadata === null) throw new Error("The model's playground settings are incomplete or damaged.");
  const specs = manifest.flatMap((group: unknown) => (isRecord(group) && Array.isArray(group.weights) ? group.weights : []));
  let named: tf.NamedTensorMap;
  try {
    named = tf.io.decodeWeights(weightData, specs as tf.io.WeightsManifestEntry[]);
  } catch {
    throw new Error('The weights file does not match model.json (is it the .weights.bin of the same download?).');
  }
  const model = buildRunNetwork(metadata.config, { classCount: metadata.classes.length, channels: metadata.channels });
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

/** A tfjs download as one file: model.json and its weights side by side, as `tf.loadLayersModel` expects them. */
export async function exportModelZip(metadata: ModelMetadata, weights: Float32Array[]): Promise<DownloadFile> {
  const files = await exportModelFiles(metadata, weights);
  const bytes = zipSync({
    [`${files.baseName}.json`]: strToU8(files.json),
    [`${files.baseName}.weights.bin`]: [new Uint8Array(files.weights), { level: 0 }],
    'README.txt': strToU8(zipReadme(files.baseName)),
  });
  return { fileName: `${files.baseName}.zip`, bytes };
}

const zipReadme = (baseName: string) => `${baseName}.json and ${baseName}.weights.bin: a GoogLeNet in TensorFlow.js's layers-model format,
saved by GoogLeNet Playground. Stock @tensorflow/tfjs 4.x loads it; no custom layer needs registering:
  in a browser: await tf.loadLayersModel(tf.io.browserFiles([jsonFile, weightsFile]))
  in Node:      const json = JSON.parse(jsonText);
                await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology,
                  weightSpecs: json.weightsManifest[0].weights, weightData: weightsArrayBuffer }))
Input: images [N, side, side, channels] (NHWC). Outputs: the logits, then each auxiliary head's logits, if any.
The playground's settings (config, classes) are in the JSON's userDefinedMetadata.googlenetPlayground.
`;

/** Reads a download zip (exportModelZip's) back: the one .json inside and the one weights file beside it. */
export function readModelZip(archive: Uint8Array): { metadata: ModelMetadata; weights: Float32Array[] } {
  const entries = readZip(archive);
  const json = entries.filter((entry) => entry.path.toLowerCase().endsWith('.json'));
  const weights = entries.filter((entry) => entry.path.toLowerCase().endsWith('.bin'));
  if (json.length !== 1 || weights.length !== 1) {
    throw new Error('The zip should hold one model .json and one .weights.bin, as a model download from here does.');
  }
  return readModelFiles(new TextDecoder().decode(json[0]!.bytes), weights[0]!.bytes.slice().buffer);
}
