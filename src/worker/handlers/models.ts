import type { DownloadFile } from '../../domain/file';
import type { SavedModelInfo } from '../../domain/savedModel';
import { uniqueId } from '../../experiments/ids';
import { type ModelMetadata, exportModelZip, readModelFiles, readModelZip } from '../../train/modelFile';
import { exportSafetensors, readSafetensorsModel } from '../../train/weightsFile';
import type { ModelFileFormat, ModelFromRun } from '../protocol';
import type { CheckpointRecords, ModelRecords } from './stores';

const hasExtension = (file: File, extension: string) => file.name.toLowerCase().endsWith(extension);

/** Which of the three files a model comes in the user chose, read into a model; anything else is refused. */
async function readModel(files: File[]): Promise<{ metadata: ModelMetadata; weights: Float32Array[] }> {
  const safetensors = files.filter((f) => hasExtension(f, '.safetensors'));
  const zips = files.filter((f) => hasExtension(f, '.zip'));
  const json = files.filter((f) => hasExtension(f, '.json'));
  const bins = files.filter((f) => hasExtension(f, '.bin'));
  if (files.length === 1 && safetensors.length === 1) return readSafetensorsModel(new Uint8Array(await safetensors[0]!.arrayBuffer()));
  if (files.length === 1 && zips.length === 1) return readModelZip(new Uint8Array(await zips[0]!.arrayBuffer()));
  if (files.length === 2 && json.length === 1 && bins.length === 1) {
    return readModelFiles(await json[0]!.text(), await bins[0]!.arrayBuffer());
  }
  throw new Error(
    'Choose one model: a .zip downloaded from here, a .safetensors file (from here or from train.py), or a model .json with its .weights.bin.',
  );
}

/** Saved models: kept from a run's checkpoint, exported as a tfjs zip or safetensors, imported from either. */
export class Models {
  constructor(
    private readonly records: () => Promise<ModelRecords>,
    private readonly checkpoints: () => Promise<CheckpointRecords>,
  ) {}

  async load(modelId: string): Promise<{ info: SavedModelInfo; weights: Float32Array[] }> {
    const saved = await (await this.records()).load(modelId);
    if (saved === undefined) throw new Error('This saved model is no longer stored (was it removed?).');
    return saved;
  }

  /** The run's latest kept weights with what describes them, or null when the run kept none. */
  async runWeights(run: ModelFromRun): Promise<{ metadata: ModelMetadata; weights: Float32Array[] } | null> {
    const checkpoint = await (await this.checkpoints()).load(run.runId);
    if (checkpoint === undefined) return null;
    const { classes, side } = run.shape;
    const metadata: ModelMetadata = {
      name: run.name,
      config: run.config,
      classes: [...classes],
      side,
      // What the saved network is built with: a fine-tuned run's input channels, else its dataset's.
      channels: run.inputChannels ?? run.shape.channels,
      datasetName: run.datasetName,
      epoch: checkpoint.epoch,
    };
    return { metadata, weights: checkpoint.weights };
  }

  async saveFromRun(run: ModelFromRun): Promise<SavedModelInfo> {
    const kept = await this.runWeights(run);
    if (kept === null) throw new Error('This run kept no weights to save.');
    const info: SavedModelInfo = { ...kept.metadata, id: uniqueId('model'), fromRunId: run.runId, createdAt: Date.now() };
    await (await this.records()).save(info, kept.weights);
    return info;
  }

  async export(modelId: string, format: ModelFileFormat): Promise<DownloadFile> {
    const { info, weights } = await this.load(modelId);
    const { id: _id, createdAt: _created, fromRunId: _run, ...metadata } = info;
    return format === 'tfjs' ? exportModelZip(metadata, weights) : exportSafetensors(metadata, weights);
  }

  async import(files: File[]): Promise<SavedModelInfo> {
    const { metadata, weights } = await readModel(files);
    const info: SavedModelInfo = { ...metadata, id: uniqueId('model'), fromRunId: null, createdAt: Date.now() };
    await (await this.records()).save(info, weights);
    return info;
  }
}
