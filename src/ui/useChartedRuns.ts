import { useCallback, useState } from 'react';
import { pytorchCounterparts } from '../experiments/runHistory';
import type { RunRecord } from '../domain/run';

/**
 * The run the page shows (the one selected, else the latest) and the runs the curves draw: the ticked ones when any
 * are, else the shown run with the PyTorch runs of its settings.
 */
export function chartedRuns(
  runs: readonly RunRecord[],
  selectedRunId: string | undefined,
  compared: ReadonlySet<string>,
): { shownRun: RunRecord | undefined; charted: RunRecord[] } {
  const shownRun = runs.find((run) => run.id === selectedRunId) ?? runs[runs.length - 1];
  const comparedRuns = runs.filter((run) => compared.has(run.id));
  const charted = comparedRuns.length > 0 ? comparedRuns : shownRun ? [shownRun, ...pytorchCounterparts(shownRun, runs)] : [];
  return { shownRun, charted };
}

export interface ChartedRuns {
  shownRun: RunRecord | undefined;
  charted: RunRecord[];
  compared: ReadonlySet<string>;
  /** Shows this run, or the latest one (undefined), on the charts and in "what the model learned". */
  select(runId: string | undefined): void;
  toggleCompare(runId: string): void;
}

export function useChartedRuns(runs: readonly RunRecord[]): ChartedRuns {
  const [selectedRunId, select] = useState<string | undefined>();
  const [compared, setCompared] = useState<ReadonlySet<string>>(new Set());
  const toggleCompare = useCallback(
    (runId: string) =>
      setCompared((current) => {
        const next = new Set(current);
        if (!next.delete(runId)) next.add(runId);
        return next;
      }),
    [],
  );
  return { ...chartedRuns(runs, selectedRunId, compared), compared, select, toggleCompare };
}
