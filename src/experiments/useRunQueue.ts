import { useCallback, useEffect, useState } from 'react';
import { type QueuedTurn, type RunStart, decideTurn } from './runQueue';
import type { RunRecord } from '../domain/run';

export interface QueueRunner {
  /** Whether a turn can begin now: the backend and the data are ready and nothing is training. */
  idle: boolean;
  start(run: RunStart): void;
  resume(run: RunRecord, untilEpoch: number): void;
}

export interface RunQueue {
  /** Turns not begun yet, the one training now excluded. */
  pending: QueuedTurn[];
  current: QueuedTurn | null;
  enqueue(turns: QueuedTurn[]): void;
  cancel(): void;
}

/** Feeds queued turns to the worker one at a time: a race, or a study run end to end. */
export function useRunQueue(runs: RunRecord[], runner: QueueRunner): RunQueue {
  const [pending, setPending] = useState<QueuedTurn[]>([]);
  const [current, setCurrent] = useState<QueuedTurn | null>(null);
  const { idle, start, resume } = runner;

  useEffect(() => {
    if (!idle) return;
    const [next, ...rest] = pending;
    if (next === undefined) {
      setCurrent(null);
      return;
    }
    const decision = decideTurn(next, runs);
    switch (decision.kind) {
      case 'start':
        start(next);
        break;
      case 'resume':
        resume(decision.run, next.untilEpoch);
        break;
      case 'skip':
        break;
      case 'drop-run':
        setPending(rest.filter((turn) => turn.runId !== next.runId));
        return;
    }
    setCurrent(decision.kind === 'skip' ? null : next);
    setPending(rest);
  }, [idle, pending, runs, start, resume]);

  const enqueue = useCallback((turns: QueuedTurn[]) => setPending((queued) => [...queued, ...turns]), []);
  const cancel = useCallback(() => setPending([]), []);
  return { pending, current, enqueue, cancel };
}
