import { type TrainConfig, readConfig } from '../config/trainConfig';
import type { RunRecord, RunStatus } from '../domain/run';
import type { BatchLossSample, EpochReport, Evaluation } from '../domain/training';
import { STAGES } from '../domain/transfer';

/**
 * Each stored or exported run carries the version of its shape, so records written by older builds are brought to
 * the current shape when read rather than lost.
 */
export const RUN_RECORD_VERSION = 3;

const STATUSES: readonly RunStatus[] = ['running', 'done', 'stopped', 'failed', 'interrupted', 'paused'];

/** A network takes grey or RGB images: its first layer has one input channel or three. */
const INPUT_CHANNEL_COUNTS: readonly number[] = [1, 3];

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/**
 * Brings a stored or imported record to the current shape, or returns null when it is not a run at all.
 * Version 1 (no version field) had no name, no 'interrupted' status, and no examples-seen or elapsed-time figures;
 * versions 1 and 2 had no model, optimiser or augmentation options and no group.
 */
export function migrateRun(value: unknown): RunRecord | null {
  if (!isRecord(value) || typeof value.id !== 'string' || value.id === '') return null;
  const config = readConfig(value.config);
  if (config === null || !Array.isArray(value.epochs) || typeof value.startedAt !== 'number') return null;
  if (!STATUSES.includes(value.status as RunStatus)) return null;
  if (typeof value.backend !== 'string') return null;
  const epochsValid = value.epochs.every(
    (e: unknown) => isRecord(e) && typeof e.epoch === 'number' && typeof e.trainLoss === 'number',
  );
  if (!epochsValid) return null;
  const fineTuned = value.startedFrom !== undefined && value.startedFrom !== null;
  const startedFrom = fineTuned ? readTransferRef(value.startedFrom) : null;
  if (fineTuned && startedFrom === null) return null;
  const history = completeHistory(
    config,
    value.epochs as StoredEpoch[],
    Array.isArray(value.batchLosses) ? (value.batchLosses as StoredSample[]) : [],
  );
  return {
    id: value.id,
    name: typeof value.name === 'string' ? value.name : '',
    config,
    backend: value.backend as RunRecord['backend'],
    adapter: typeof value.adapter === 'string' ? value.adapter : null,
    status: value.status as RunStatus,
    startedAt: value.startedAt,
    warmupSeconds: typeof value.warmupSeconds === 'number' ? value.warmupSeconds : null,
    ...history,
    error: typeof value.error === 'string' ? value.error : null,
    group: typeof value.group === 'string' ? value.group : null,
    evaluation: readEvaluation(value.evaluation),
    dataset: readDatasetRef(value.dataset),
    startedFrom,
  };
}

function readDatasetRef(value: unknown): RunRecord['dataset'] {
  if (!isRecord(value) || typeof value.id !== 'string' || typeof value.name !== 'string') return null;
  const { side, channels } = value;
  const classes = Array.isArray(value.classes) && value.classes.every((c) => typeof c === 'string') ? value.classes : null;
  if (classes === null || typeof side !== 'number' || typeof channels !== 'number') return null;
  return { id: value.id, name: value.name, classes: classes as string[], side, channels };
}

/**
 * Every version that knew fine-tuning stored the source network's input channels; a run whose count is missing or
 * not one a network can have would convert its images wrongly on resume or prediction, so it is refused, not guessed.
 */
function readTransferRef(value: unknown): RunRecord['startedFrom'] {
  if (!isRecord(value) || typeof value.modelId !== 'string' || typeof value.modelName !== 'string') return null;
  const { inputChannels } = value;
  if (typeof inputChannels !== 'number' || !INPUT_CHANNEL_COUNTS.includes(inputChannels)) return null;
  const freezeThrough = STAGES.find((stage) => stage === value.freezeThrough) ?? null;
  const stored = isRecord(value.check) ? value.check : {};
  const { frozenMaxChange, trainedMaxChange, headMaxChange } = stored;
  const check =
    typeof frozenMaxChange === 'number' && typeof trainedMaxChange === 'number' && typeof headMaxChange === 'number'
      ? { frozenMaxChange, trainedMaxChange, headMaxChange }
      : null;
  return { modelId: value.modelId, modelName: value.modelName, freezeThrough, inputChannels, check };
}

/** An evaluation is a view of the latest epoch, not history: one that does not read cleanly is left out. */
function readEvaluation(value: unknown): Evaluation | null {
  if (!isRecord(value) || typeof value.epoch !== 'number' || typeof value.accuracy !== 'number') return null;
  const { confusion, misclassified } = value;
  const isCountRow = (row: unknown) => Array.isArray(row) && row.every((count) => typeof count === 'number');
  if (!Array.isArray(confusion) || !confusion.every(isCountRow) || !Array.isArray(misclassified)) return null;
  const examplesValid = misclassified.every(
    (m: unknown) => isRecord(m) && typeof m.label === 'number' && typeof m.predicted === 'number' && isCountRow(m.pixels),
  );
  return examplesValid ? (value as unknown as Evaluation) : null;
}

type StoredEpoch = Omit<EpochReport, 'examplesSeen' | 'elapsedSeconds'> & Partial<EpochReport>;
type StoredSample = Omit<BatchLossSample, 'examplesSeen' | 'elapsedSeconds'> & Partial<BatchLossSample>;

/** Version 1 kept neither examples seen nor elapsed time; both follow from the config and the epoch times. */
function completeHistory(config: TrainConfig, epochs: StoredEpoch[], samples: StoredSample[]) {
  let elapsed = 0;
  const endOfEpoch = [0];
  const fullEpochs: EpochReport[] = epochs.map((e) => {
    elapsed += e.epochSeconds;
    endOfEpoch.push(e.elapsedSeconds ?? elapsed);
    return { ...e, examplesSeen: e.examplesSeen ?? e.epoch * config.trainSubset, elapsedSeconds: e.elapsedSeconds ?? elapsed };
  });
  const fullSamples: BatchLossSample[] = samples.map((s) => {
    const epochStart = endOfEpoch[s.epoch - 1] ?? elapsed;
    const epochLength = (endOfEpoch[s.epoch] ?? epochStart) - epochStart;
    return {
      ...s,
      examplesSeen:
        s.examplesSeen ?? (s.epoch - 1) * config.trainSubset + Math.min(s.batch * config.batchSize, config.trainSubset),
      elapsedSeconds: s.elapsedSeconds ?? epochStart + (s.batch / s.batchesPerEpoch) * epochLength,
    };
  });
  return { epochs: fullEpochs, batchLosses: fullSamples };
}
