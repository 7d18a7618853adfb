import type { TrainConfig } from '../config/trainConfig';
import { canResume } from './runHistory';
import type { DatasetRef } from '../domain/dataset';
import type { RunRecord } from '../domain/run';
import type { TransferRef } from '../domain/transfer';

/**
 * What a run starts from: its settings, the imported dataset it trains on and the saved model it fine-tunes (none:
 * Fashion-MNIST, fresh weights), and, when a queue made it, its id, its experiment and the epoch it pauses after.
 */
export interface RunStart {
  config: TrainConfig;
  dataset?: DatasetRef | null;
  startedFrom?: TransferRef | null;
  runId?: string;
  group?: string;
  untilEpoch?: number;
}

/** One stretch of training: the run trains until it has finished `untilEpoch` epochs, then hands the GPU on. */
export interface QueuedTurn extends RunStart {
  runId: string;
  untilEpoch: number;
  /** The experiment the run belongs to, shown with it and used to find its siblings. */
  group: string;
}

export type PlannedRun = Pick<RunStart, 'config' | 'dataset' | 'startedFrom'> & { runId: string };

/** Race: every run trains one epoch in turn, so all curves grow together. */
export function racePlan(runs: PlannedRun[], group: string): QueuedTurn[] {
  const longest = Math.max(...runs.map((run) => run.config.epochs));
  const turns: QueuedTurn[] = [];
  for (let epoch = 1; epoch <= longest; epoch++) {
    for (const run of runs) if (epoch <= run.config.epochs) turns.push({ ...run, untilEpoch: epoch, group });
  }
  return turns;
}

/** One after another, each run to its last epoch. */
export function sequentialPlan(runs: PlannedRun[], group: string): QueuedTurn[] {
  return runs.map((run) => ({ ...run, untilEpoch: run.config.epochs, group }));
}

export type TurnDecision =
  | { kind: 'start' }
  | { kind: 'resume'; run: RunRecord }
  | { kind: 'skip' }
  /** The run failed or was stopped: its remaining turns are dropped, the other runs go on. */
  | { kind: 'drop-run' };

/** What to do with the queue's next turn, given the runs as they are now. */
export function decideTurn(turn: QueuedTurn, runs: RunRecord[]): TurnDecision {
  const run = runs.find((r) => r.id === turn.runId);
  if (run === undefined) return { kind: 'start' };
  if (run.epochs.length >= turn.untilEpoch) return { kind: 'skip' };
  return canResume(run) ? { kind: 'resume', run } : { kind: 'drop-run' };
}

/**
 * Seconds the remaining turns should take, from each run's own measured epochs (shader warm-up excluded, since
 * epoch times are); `unmeasured` counts the epochs of runs that have not finished one yet.
 */
export function remainingEstimate(turns: QueuedTurn[], runs: RunRecord[]): { seconds: number; unmeasured: number } {
  let seconds = 0;
  let unmeasured = 0;
  const done = new Map<string, number>();
  for (const turn of turns) {
    const run = runs.find((r) => r.id === turn.runId);
    const from = done.get(turn.runId) ?? run?.epochs.length ?? 0;
    const epochs = Math.max(0, turn.untilEpoch - from);
    done.set(turn.runId, Math.max(from, turn.untilEpoch));
    const measured = run?.epochs ?? [];
    if (measured.length === 0) unmeasured += epochs;
    else seconds += (epochs * measured.reduce((sum, e) => sum + e.epochSeconds, 0)) / measured.length;
  }
  return { seconds, unmeasured };
}
