import { formatSeconds } from './format';
import type { RunRecord } from '../domain/run';

/** What the active run is doing now, and an estimate that leaves shader compilation out. */
export function RunProgress({ run }: { run: RunRecord }) {
  const lastSample = run.batchLosses[run.batchLosses.length - 1];
  const doneEpochs = run.epochs.length;
  let text: string;
  if (run.warmupSeconds === null) {
    text = 'Compiling GPU shaders for the first step… (this can take tens of seconds on a software adapter)';
  } else {
    const epoch = Math.min(doneEpochs + 1, run.config.epochs);
    const batch = lastSample && lastSample.epoch === epoch ? ` · batch ${lastSample.batch} of ${lastSample.batchesPerEpoch}` : '';
    const meanEpochSeconds =
      doneEpochs > 0 ? run.epochs.reduce((sum, e) => sum + e.epochSeconds, 0) / doneEpochs : undefined;
    const remaining =
      meanEpochSeconds !== undefined ? ` · about ${formatSeconds(meanEpochSeconds * (run.config.epochs - doneEpochs))} left` : '';
    text = `Training epoch ${epoch} of ${run.config.epochs}${batch}${remaining}`;
  }
  return (
    <p className="progress-line" role="status" data-testid="run-progress">
      {text}
    </p>
  );
}
