import { useCallback, useEffect, useState } from 'react';
import { type RunLockState, type RunLocks, browserLocks, mayBeHeldElsewhere, watchRunLocks } from './runLock';
import type { RunRecord, RunStatus } from '../domain/run';

export interface RunLocksView {
  /** Undefined while unknown: the run is then shown as this tab last read it. */
  lockOf(runId: string): RunLockState | undefined;
  /** Asks again, after this tab was refused a run it thought free. */
  recheck(): void;
}

/**
 * Which runs another tab is training. Locks announce nothing, so the held ones are asked for whenever a run's status
 * changes here (another tab started, resumed or ended it), and each held one is waited on until its tab lets it go.
 * What was learnt is kept only for the statuses it was learnt with: a run whose status changed is unknown again
 * until asked, so a run another tab just resumed is never shown as free.
 */
export function useRunLocks(runs: RunRecord[], activeRunId: string | null, locks: RunLocks | undefined = browserLocks()): RunLocksView {
  // A string, so that the effect runs when a watched run's status changes rather than on every epoch.
  const watchedKey = JSON.stringify(
    runs.filter((run) => run.id !== activeRunId && mayBeHeldElsewhere(run)).map((run) => [run.id, run.status]),
  );
  const [learnt, setLearnt] = useState<{ key: string; states: ReadonlyMap<string, RunLockState> }>({ key: '', states: new Map() });
  const [checks, setChecks] = useState(0);

  useEffect(() => {
    const watched = (JSON.parse(watchedKey) as [string, RunStatus][]).map(([runId]) => runId);
    if (locks === undefined || watched.length === 0) return;
    const controller = new AbortController();
    // A lock manager that fails to answer leaves the runs unknown: shown as this tab read them, as before the locks.
    watchRunLocks(watched, controller.signal, locks, (runId, state) =>
      setLearnt((current) => {
        const states = new Map(current.key === watchedKey ? current.states : []);
        return { key: watchedKey, states: states.set(runId, state) };
      }),
    ).catch(() => {});
    return () => controller.abort();
  }, [watchedKey, checks, locks]);

  const states = learnt.key === watchedKey ? learnt.states : null;
  const lockOf = useCallback((runId: string) => states?.get(runId), [states]);
  const recheck = useCallback(() => setChecks((n) => n + 1), []);
  return { lockOf, recheck };
}
