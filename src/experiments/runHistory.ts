import { CONFIG_KEYS } from '../config/trainConfig';
import { uniqueId } from './ids';
import type { RunRecord } from '../domain/run';
import type { BatchLossSample, EpochReport, Evaluation, TrainingOutcome } from '../domain/training';
import type { TransferCheck } from '../domain/transfer';

export const newRunId = (): string => uniqueId('run');

export type RunAction =
  | { type: 'loaded'; runs: RunRecord[] }
  /** A run as another tab stored it: that tab trains and writes it, so its copy replaces this page's. */
  | { type: 'stored'; run: RunRecord }
  | { type: 'created'; run: Pick<RunRecord, 'id' | 'config' | 'backend' | 'adapter' | 'startedAt' | 'group' | 'dataset' | 'startedFrom'> }
  | { type: 'resumed'; runId: string }
  | { type: 'renamed'; runId: string; name: string }
  | { type: 'deleted'; runId: string }
  | { type: 'warmup'; runId: string; seconds: number }
  | { type: 'batch'; runId: string; sample: BatchLossSample }
  | { type: 'epoch'; runId: string; report: EpochReport }
  | { type: 'evaluation'; runId: string; evaluation: Evaluation }
  | { type: 'transfer-check'; runId: string; check: TransferCheck }
  | { type: 'ended'; runId: string; outcome: TrainingOutcome }
  | { type: 'failed'; runId: string; message: string };

/** Bounds the memory one long run's live curve can take; older samples are thinned, never the epoch records. */
export const MAX_BATCH_SAMPLES = 2000;

function thin(samples: BatchLossSample[]): BatchLossSample[] {
  return samples.length <= MAX_BATCH_SAMPLES ? samples : samples.filter((_, i) => i % 2 === 0);
}

function update(runs: RunRecord[], runId: string, change: (run: RunRecord) => RunRecord): RunRecord[] {
  return runs.map((run) => (run.id === runId ? change(run) : run));
}

export function runsReducer(runs: RunRecord[], action: RunAction): RunRecord[] {
  switch (action.type) {
    case 'loaded': {
      const known = new Set(runs.map((run) => run.id));
      return [...action.runs.filter((run) => !known.has(run.id)), ...runs].sort((a, b) => a.startedAt - b.startedAt);
    }
    case 'stored':
      return [...runs.filter((run) => run.id !== action.run.id), action.run].sort((a, b) => a.startedAt - b.startedAt);
    case 'created':
      return [
        ...runs,
        {
          ...action.run,
          name: '',
          status: 'running',
          warmupSeconds: null,
          epochs: [],
          batchLosses: [],
          error: null,
          evaluation: null,
        },
      ];
    case 'resumed':
      // Live samples of the unfinished epoch are dropped: that epoch is trained again from its start.
      return update(runs, action.runId, (run) => ({
        ...run,
        status: 'running',
        error: null,
        batchLosses: run.batchLosses.filter((s) => s.epoch <= run.epochs.length),
      }));
    case 'renamed':
      return update(runs, action.runId, (run) => ({ ...run, name: action.name.trim() }));
    case 'deleted':
      return runs.filter((run) => run.id !== action.runId);
    case 'warmup':
      return update(runs, action.runId, (run) => ({ ...run, warmupSeconds: action.seconds }));
    case 'batch':
      return update(runs, action.runId, (run) => ({ ...run, batchLosses: thin([...run.batchLosses, action.sample]) }));
    case 'epoch':
      return update(runs, action.runId, (run) => ({ ...run, epochs: [...run.epochs, action.report] }));
    case 'transfer-check':
      return update(runs, action.runId, (run) => ({
        ...run,
        startedFrom: run.startedFrom && { ...run.startedFrom, check: action.check },
      }));
    case 'evaluation':
      return update(runs, action.runId, (run) => ({ ...run, evaluation: action.evaluation }));
    case 'ended':
      return update(runs, action.runId, (run) => ({
        ...run,
        status: ({ completed: 'done', stopped: 'stopped', paused: 'paused' } as const)[action.outcome],
      }));
    case 'failed':
      return update(runs, action.runId, (run) => ({ ...run, status: 'failed', error: action.message }));
  }
}

export function latestEpoch(run: RunRecord): EpochReport | undefined {
  return run.epochs[run.epochs.length - 1];
}

/** A run cut off by Stop or by the page going away continues from its last finished epoch. */
export function canResume(run: RunRecord): boolean {
  // A run imported from train.py has its checkpoint on the machine it trained on: `train.py --resume` continues it.
  if (run.backend === 'pytorch') return false;
  const cutOff = run.status === 'interrupted' || run.status === 'stopped' || run.status === 'paused';
  return cutOff && run.epochs.length < run.config.epochs;
}

/**
 * Runs that train.py trained with a browser run's settings and data, imported from its metrics file: the charts draw
 * them beside the run. The seed is left aside, as PyTorch draws other initial weights from it anyway.
 */
export function pytorchCounterparts(run: RunRecord, runs: readonly RunRecord[]): RunRecord[] {
  if (run.backend === 'pytorch') return [];
  return runs.filter(
    (other) =>
      other.backend === 'pytorch' &&
      other.dataset?.id === run.dataset?.id &&
      CONFIG_KEYS.every((key) => key === 'seed' || other.config[key] === run.config[key]),
  );
}
