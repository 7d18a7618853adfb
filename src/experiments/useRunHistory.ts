import { type Dispatch, useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { BLOCKED_MESSAGE, SUPERSEDED_MESSAGE, THIS_WRITER, listenToStorage } from './database';
import { type RunAction, runsReducer } from './runHistory';
import { parseExportedRuns } from './runExchange';
import { RunStore } from './runStore';
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

/**
 * The run list, kept in IndexedDB as it changes: a reload loses at most the epoch in progress. Each tab writes only
 * the runs it changed, and takes the runs another tab writes as that tab stored them, so two tabs training at once
 * keep one history.
 */
export function useRunHistory(): RunHistory {
  const [runs, dispatch] = useReducer(runsReducer, []);
  const [storageProblem, setStorageProblem] = useState<string | null>(null);
  const storeRef = useRef<RunStore | null>(null);
  /** The record of each run as this page last wrote or read it: a run is written when its record is another. */
  const saved = useRef(new Map<string, RunRecord>());

  useEffect(() => {
    let cancelled = false;
    const stopListening = listenToStorage((notice) => {
      if (notice.type === 'superseded') setStorageProblem(SUPERSEDED_MESSAGE);
      else if (notice.type === 'blocked') setStorageProblem(BLOCKED_MESSAGE);
      else if (notice.store === 'runs' && notice.writer !== THIS_WRITER) void takeStored(notice.id);
    });
    const takeStored = async (runId: string) => {
      const run = await storeRef.current?.load(runId);
      if (cancelled || storeRef.current === null) return;
      if (run === undefined) {
        saved.current.delete(runId);
        dispatch({ type: 'deleted', runId });
      } else {
        saved.current.set(run.id, run);
        dispatch({ type: 'stored', run });
      }
    };
    RunStore.open()
      .then(async (store) => {
        if (cancelled) return store.close();
        storeRef.current = store;
        setStorageProblem((problem) => (problem === BLOCKED_MESSAGE ? null : problem));
        const stored = await store.loadAll();
        for (const run of stored) saved.current.set(run.id, run);
        dispatch({ type: 'loaded', runs: stored });
      })
      .catch((error: Error) => setStorageProblem(`Run history cannot be saved in this browser: ${error.message}`));
    return () => {
      cancelled = true;
      stopListening();
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
