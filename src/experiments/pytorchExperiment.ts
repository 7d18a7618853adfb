import { strToU8, zipSync } from 'fflate';
import type { TrainConfig } from '../config/trainConfig';
import readme from './pytorch/README.md?raw';
import requirements from './pytorch/requirements.txt?raw';
import trainScript from './pytorch/train.py?raw';

/** What train.py reads: the run's settings and the dataset it trained on, with its files beside the script. */
export const EXPERIMENT_FORMAT = 'googlenet-playground-experiment';

export interface ExperimentDataset {
  /** An imported dataset's id, which train.py writes back into its run record so the import links the two. */
  id?: string;
  name: string;
  classes: readonly string[];
  side: number;
  channels: number;
}

export interface DataFile {
  role: 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';
  /** The name in the archive's data/ folder: IDX, gzipped or not (train.py reads both). */
  name: string;
  bytes: Uint8Array;
}

export interface ExperimentConfigFile {
  format: typeof EXPERIMENT_FORMAT;
  version: 1;
  name: string;
  config: TrainConfig;
  dataset: ExperimentDataset & { files: Record<DataFile['role'], string> };
}

export interface Experiment {
  name: string;
  config: TrainConfig;
  dataset: ExperimentDataset;
  /** The four IDX files, shipped so the experiment runs where there is no network. */
  data: readonly DataFile[];
  /** The run's latest weights in safetensors, with PyTorch's names: train.py can start from them or evaluate them. */
  weights: Uint8Array | null;
}

const ROLES: readonly DataFile['role'][] = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];

/** A name safe for a folder on every system. */
export const fileSafeName = (name: string): string => name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'googlenet';

export const BROWSER_WEIGHTS_FILE = 'browser-weights.safetensors';

export function experimentConfig(experiment: Pick<Experiment, 'name' | 'config' | 'dataset' | 'data'>): ExperimentConfigFile {
  const files = Object.fromEntries(
    ROLES.map((role) => {
      const file = experiment.data.find((f) => f.role === role);
      if (!file) throw new Error(`The experiment has no ${role} file.`);
      return [role, `data/${file.name}`];
    }),
  ) as Record<DataFile['role'], string>;
  const { dataset } = experiment;
  return {
    format: EXPERIMENT_FORMAT,
    version: 1,
    name: experiment.name,
    config: experiment.config,
    dataset: { ...dataset, classes: [...dataset.classes], files },
  };
}

/**
 * One zip holding a folder that trains the run again in PyTorch: train.py, its README and requirements, config.json,
 * the data, and (when the run has them) its weights. Already-compressed data is stored, not deflated again.
 */
export function experimentArchive(experiment: Experiment): { fileName: string; bytes: Uint8Array } {
  const folder = fileSafeName(experiment.name);
  const entries: Record<string, Uint8Array | [Uint8Array, { level: 0 }]> = {
    [`${folder}/README.md`]: strToU8(readme),
    [`${folder}/train.py`]: strToU8(trainScript),
    [`${folder}/requirements.txt`]: strToU8(requirements),
    [`${folder}/config.json`]: strToU8(JSON.stringify(experimentConfig(experiment), null, 2) + '\n'),
  };
  for (const file of experiment.data) {
    entries[`${folder}/data/${file.name}`] = file.name.endsWith('.gz') ? [file.bytes, { level: 0 }] : file.bytes;
  }
  if (experiment.weights) entries[`${folder}/${BROWSER_WEIGHTS_FILE}`] = [experiment.weights, { level: 0 }];
  return { fileName: `${folder}.zip`, bytes: zipSync(entries) };
}
