import { useEffect, useState } from 'react';
import { type TrainConfig, architectureOf, inputChannels } from '../config/trainConfig';
import type { RunStart } from '../experiments/runQueue';
import type { DatasetImportState } from '../worker/workerMessages';
import { type DatasetInfo, datasetRef } from '../domain/dataset';
import type { SavedModelInfo } from '../domain/savedModel';
import { FRESH_WEIGHTS, type FineTuneChoice } from './ModelStart';

/**
 * The run the settings ask for, on a dataset (Fashion-MNIST when null) and from a saved model (fresh weights when
 * null). Fine-tuning keeps the saved model's network, whose weights fit no other, and takes the other settings.
 */
export function plannedRun(config: TrainConfig, dataset: DatasetInfo | null, model: SavedModelInfo | null, choice: FineTuneChoice): RunStart {
  const data = dataset && datasetRef(dataset);
  if (model === null) return { config, dataset: data };
  return {
    config: { ...config, width: model.config.width, resolution: model.config.resolution, ...architectureOf(model.config) },
    dataset: data,
    startedFrom: {
      modelId: model.id,
      modelName: model.name,
      freezeThrough: choice.freezeThrough,
      inputChannels: inputChannels(model.config.model, model.channels),
      check: null,
    },
  };
}

export interface RunSource {
  datasetId: string | null;
  dataset: DatasetInfo | null;
  selectDataset(id: string | null): void;
  /** Where the next run starts; a choice whose model was removed, here or in another tab, reads as fresh weights. */
  start: FineTuneChoice;
  fineTuneModel: SavedModelInfo | null;
  chooseStart(choice: FineTuneChoice): void;
}

/** What the next run trains on and starts from; a dataset just imported is chosen. */
export function useRunSource(datasets: readonly DatasetInfo[], models: readonly SavedModelInfo[], datasetImport: DatasetImportState): RunSource {
  const [datasetId, selectDataset] = useState<string | null>(null);
  useEffect(() => {
    if (datasetImport.status === 'done') selectDataset(datasetImport.info.id);
  }, [datasetImport]);
  const [choice, chooseStart] = useState<FineTuneChoice>(FRESH_WEIGHTS);
  const fineTuneModel = models.find((m) => m.id === choice.modelId) ?? null;
  return {
    datasetId,
    dataset: datasets.find((d) => d.id === datasetId) ?? null,
    selectDataset,
    start: fineTuneModel ? choice : FRESH_WEIGHTS,
    fineTuneModel,
    chooseStart,
  };
}
