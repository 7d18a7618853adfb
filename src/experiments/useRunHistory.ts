import { type Dispatch, useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { type RunAction, runsReducer } from './runHistory';
import { RunStore, parseExportedRuns } from './runStore';
import type { RunRecord } from '../domain/run';

export interface RunHistory {
  runs: RunRecord[];
  dispatch: Dispatch<RunAction>;
  /** Why the history cannot be saved in this browser, if it cannot. */
  storageProblem: string | null;
  rename(runId: string, name: string): void;
  remove(runId: string): void;
  /** Adds the runs of an exported file; returns the problem when the file is refused (nothing is changed then). */
  importFile(text: string): string | null;
}

/** The run list, kept in IndexedDB as it changes: a reload loses at most the epoch in progress. */
export function useRunHistory(): RunHistory {
  const [runs, dispatch] = useReducer(runsReducer, []);
  const [storageProblem, setStorageProblem] = useState<string | null>(null);
  const storeRef = useRef<RunStore | null>(null);
  const saved = useRef(new Map<string, RunRecord>());

  useEffect(() => {
    let cancelled = false;
    RunStore.open()
      .then(async (store) => {
        if (cancelled) return store.close();
        storeRef.current = store;
        const stored = await store.loadAll();
        for (const run of stored) saved.current.set(run.id, run);
        dispatch({ type: 'loaded', runs: stored });
      })
      .catch((error: Error) => setStorageProblem(`Run history cannot be saved in this browser: ${error.message}`));
    return () => {
      cancelled = true;
      storeRef.current?.close();
      storeRef.current = null;
    };
  }, []);

  useEffect(() => {
    const store = storeRef.current;
    if (store === null) return;
    for (const run of runs) {
      if (saved.current.get(run.id) === run) continue;
      saved.current.set(run.id, run);
      store.save(run).catch((error: Error) => setStorageProblem(`Saving run history failed: ${error.message}`));
    }
  }, [runs]);

  const rename = useCallback((runId: string, name: string) => dispatch({ type: 'renamed', runId, name }), []);

  const remove = useCallback((runId: string) => {
    dispatch({ type: 'deleted', runId });
    saved.current.delete(runId);
    storeRef.current?.delete(runId).catch((error: Error) => setStorageProblem(`Deleting a run failed: ${error.message}`));
  }, []);

  const runsRef = useRef(runs);
  runsRef.current = runs;
  const importFile = useCallback((text: string) => {
    const result = parseExportedRuns(text);
    if (!result.ok) return result.message;
    const known = new Set(runsRef.current.map((run) => run.id));
    if (result.runs.every((run) => known.has(run.id))) return 'Every run in this file is already in the history.';
    dispatch({ type: 'loaded', runs: result.runs });
    return null;
  }, []);

  return { runs, dispatch, storageProblem, rename, remove, importFile };
}
