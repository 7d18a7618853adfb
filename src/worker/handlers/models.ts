import type { TrainConfig } from '../../config/trainConfig';
import type { DatasetShape } from '../../domain/dataset';
import type { SavedModelInfo } from '../../domain/savedModel';
import { uniqueId } from '../../experiments/ids';
import { type ModelFiles, exportModelFiles, readModelFiles } from '../../train/modelFile';
import type { CheckpointRecords, ModelRecords } from './stores';

/** What saving a run's latest weights as a model needs to know of the run. */
export interface ModelFromRun {
  runId: string;
  name: string;
  config: TrainConfig;
  shape: DatasetShape;
  datasetName: string;
}

/** Saved models: kept from a run's checkpoint, exported in tfjs's format, imported from one. */
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

  async saveFromRun(run: ModelFromRun): Promise<SavedModelInfo> {
    const checkpoint = await (await this.checkpoints()).load(run.runId);
    if (checkpoint === undefined) throw new Error('This run kept no weights to save.');
    const { classes, side, channels } = run.shape;
    const info: SavedModelInfo = {
      id: uniqueId('model'),
      name: run.name,
      config: run.config,
      classes: [...classes],
      side,
      channels,
      datasetName: run.datasetName,
      fromRunId: run.runId,
      epoch: checkpoint.epoch,
      createdAt: Date.now(),
    };
    await (await this.records()).save(info, checkpoint.weights);
    return info;
  }

  async export(modelId: string): Promise<ModelFiles> {
    const { info, weights } = await this.load(modelId);
    const { id: _id, createdAt: _created, fromRunId: _run, ...metadata } = info;
    return exportModelFiles(metadata, weights);
  }

  async import(json: Blob, weightsFile: Blob): Promise<SavedModelInfo> {
    const { metadata, weights } = readModelFiles(await json.text(), await weightsFile.arrayBuffer());
    const info: SavedModelInfo = { ...metadata, id: uniqueId('model'), fromRunId: null, createdAt: Date.now() };
    await (await this.records()).save(info, weights);
    return info;
  }
}
