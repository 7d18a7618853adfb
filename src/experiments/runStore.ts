import type { IDBPDatabase } from 'idb';
import { CONFIG_KEYS, DEFAULT_CONFIG, FIELD_SPECS, type TrainConfig, encodeField, isFieldValue } from '../config/trainConfig';
import { DB_NAME, type PlaygroundDb, openPlaygroundDb } from './database';
import type { RunRecord, RunStatus } from '../domain/run';
import type { BatchLossSample, EpochReport, Evaluation } from '../domain/training';
import { STAGES } from '../domain/transfer';

/**
 * Run history in IndexedDB (through `idb`, which turns its request/event API into promises). Each record carries
 * the version of its shape, so records written by older builds are migrated when read rather than lost.
 */
export const RUN_RECORD_VERSION = 3;


const STATUSES: readonly RunStatus[] = ['running', 'done', 'stopped', 'failed', 'interrupted', 'paused'];

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** Options added after a record was written are absent from it: such a run used their defaults, d2l's settings. */
export function readConfig(value: unknown): TrainConfig | null {
  if (!isRecord(value)) return null;
  const config: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const key of CONFIG_KEYS) {
    const field = value[key];
    if (field === undefined && FIELD_SPECS[key].group !== 'run') continue;
    if (!isFieldValue(key, field)) return null;
    config[key] = field;
  }
  return config as unknown as TrainConfig;
}

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
    startedFrom: readTransferRef(value.startedFrom),
  };
}

function readDatasetRef(value: unknown): RunRecord['dataset'] {
  if (!isRecord(value) || typeof value.id !== 'string' || typeof value.name !== 'string') return null;
  const { side, channels } = value;
  const classes = Array.isArray(value.classes) && value.classes.every((c) => typeof c === 'string') ? value.classes : null;
  if (classes === null || typeof side !== 'number' || typeof channels !== 'number') return null;
  return { id: value.id, name: value.name, classes: classes as string[], side, channels };
}

function readTransferRef(value: unknown): RunRecord['startedFrom'] {
  if (!isRecord(value) || typeof value.modelId !== 'string' || typeof value.modelName !== 'string') return null;
  const freezeThrough = STAGES.find((stage) => stage === value.freezeThrough) ?? null;
  const stored = isRecord(value.check) ? value.check : {};
  const { frozenMaxChange, trainedMaxChange, headMaxChange } = stored;
  const check =
    typeof frozenMaxChange === 'number' && typeof trainedMaxChange === 'number' && typeof headMaxChange === 'number'
      ? { frozenMaxChange, trainedMaxChange, headMaxChange }
      : null;
  const channels = value.inputChannels === 3 ? 3 : 1;
  return { modelId: value.modelId, modelName: value.modelName, freezeThrough, inputChannels: channels, check };
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

export class RunStore {
  private constructor(private readonly db: IDBPDatabase<PlaygroundDb>) {}

  static async open(name = DB_NAME): Promise<RunStore> {
    return new RunStore(await openPlaygroundDb(name));
  }

  async save(run: RunRecord): Promise<void> {
    await this.db.put('runs', { ...run, version: RUN_RECORD_VERSION });
  }

  /** Deletes the run and its checkpoint together. */
  async delete(runId: string): Promise<void> {
    const transaction = this.db.transaction(['runs', 'checkpoints'], 'readwrite');
    await Promise.all([transaction.objectStore('runs').delete(runId), transaction.objectStore('checkpoints').delete(runId), transaction.done]);
  }

  /** Every stored run, migrated; a run that was training when the page went away is marked interrupted. */
  async loadAll(): Promise<RunRecord[]> {
    const stored: unknown[] = await this.db.getAll('runs');
    return stored
      .map(migrateRun)
      .filter((run): run is RunRecord => run !== null)
      .map((run) => (run.status === 'running' ? { ...run, status: 'interrupted' as const } : run))
      .sort((a, b) => a.startedAt - b.startedAt);
  }

  close(): void {
    this.db.close();
  }
}

const EXPORT_FORMAT = 'googlenet-playground-runs';

export function exportRuns(runs: RunRecord[]): string {
  return JSON.stringify({ format: EXPORT_FORMAT, version: RUN_RECORD_VERSION, runs }, null, 1);
}

export type ImportResult = { ok: true; runs: RunRecord[] } | { ok: false; message: string };

/** Reads an exported file; anything malformed or foreign is refused whole, so nothing half-imports. */
export function parseExportedRuns(text: string): ImportResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, message: 'This file is not JSON, so it is not a run export of this playground.' };
  }
  if (!isRecord(parsed) || parsed.format !== EXPORT_FORMAT || !Array.isArray(parsed.runs)) {
    return { ok: false, message: `This JSON file is not a run export of this playground (no "format": "${EXPORT_FORMAT}").` };
  }
  const runs = parsed.runs.map(migrateRun);
  const bad = runs.findIndex((run) => run === null);
  if (bad >= 0) return { ok: false, message: `Run ${bad + 1} in this file is damaged or incomplete; nothing was imported.` };
  return { ok: true, runs: runs as RunRecord[] };
}

const CSV_COLUMNS = ['name', 'status', 'backend', 'epochs_done', ...CONFIG_KEYS, 'train_loss', 'train_acc', 'test_acc', 'examples_per_sec'];

/** One row per run with its settings and latest epoch, for spreadsheets. */
export function runsToCsv(runs: RunRecord[]): string {
  const quote = (value: string | number) => (typeof value === 'number' ? String(value) : `"${value.replaceAll('"', '""')}"`);
  const rows = runs.map((run) => {
    const last = run.epochs[run.epochs.length - 1];
    return [
      quote(run.name),
      quote(run.status),
      quote(run.backend),
      run.epochs.length,
      ...CONFIG_KEYS.map((key) => encodeField(run.config[key])),
      last?.trainLoss ?? '',
      last?.trainAccuracy ?? '',
      last?.testAccuracy ?? '',
      last?.examplesPerSecond ?? '',
    ].join(',');
  });
  return [CSV_COLUMNS.join(','), ...rows].join('\n') + '\n';
}
