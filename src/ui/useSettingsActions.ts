import { useState } from 'react';
import { type TrainConfig, describeConfig } from '../config/trainConfig';
import type { TrainingWorker } from '../worker/useTrainingWorker';
import { datasetRef } from '../domain/dataset';
import { downloadBlob } from './download';
import type { RunSource } from './useRunSource';

export interface SettingsActions {
  /** What the last link copy or export did, or why it could not. */
  status: string | null;
  copyLink(): void;
  exportExperiment(): void;
}

/** The settings as a link to share, or as a PyTorch experiment to download. */
export function useSettingsActions(
  config: TrainConfig | null,
  source: RunSource,
  shareUrl: (config: TrainConfig) => string,
  exportExperiment: TrainingWorker['exportExperiment'],
): SettingsActions {
  const [status, setStatus] = useState<string | null>(null);

  const copyLink = async (settings: TrainConfig) => {
    const url = shareUrl(settings);
    try {
      await navigator.clipboard.writeText(url);
      setStatus('Link copied: it opens the app and starts this run.');
    } catch {
      setStatus(url);
    }
  };

  const download = async (settings: TrainConfig) => {
    setStatus('Packing the PyTorch experiment…');
    try {
      const { dataset } = source;
      const file = await exportExperiment({ name: describeConfig(settings), config: settings, dataset: dataset && datasetRef(dataset) });
      downloadBlob(file.fileName, new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: 'application/zip' }));
      // A fine-tuning start is not carried over: train.py starts from fresh weights unless given --weights.
      const note = source.fineTuneModel ? ` It trains from fresh weights; pass the saved model's .safetensors with --weights to start from it.` : '';
      setStatus(`Downloaded ${file.fileName}: unzip it and follow its README.${note}`);
    } catch (error) {
      setStatus((error as Error).message);
    }
  };

  return {
    status,
    copyLink: () => (config === null ? setStatus('Fix the highlighted settings to make a link.') : void copyLink(config)),
    exportExperiment: () => (config === null ? setStatus('Fix the highlighted settings to export them.') : void download(config)),
  };
}
