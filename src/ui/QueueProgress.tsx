import { type QueuedTurn, remainingEstimate } from '../experiments/runQueue';
import { formatSeconds } from './format';
import type { RunRecord } from '../domain/run';

interface Props {
  label: string;
  /** The turn training now first, then those still to come. */
  turns: QueuedTurn[];
  runs: RunRecord[];
}

/** Where a queue stands and how long it should still take, from the epochs its runs have measured. */
export function QueueProgress({ label, turns, runs }: Props) {
  const [current] = turns;
  if (current === undefined) return null;
  const run = runs.find((r) => r.id === current.runId);
  const epoch = Math.min((run?.epochs.length ?? 0) + 1, current.config.epochs);
  const compiling = run === undefined || run.warmupSeconds === null;
  const { seconds, unmeasured } = remainingEstimate(turns, runs);
  const estimate =
    unmeasured === 0
      ? `about ${formatSeconds(seconds)} left`
      : seconds > 0
        ? `at least ${formatSeconds(seconds)} left, plus ${unmeasured} epochs not timed yet`
        : `${unmeasured} epochs to go, none timed yet`;
  return (
    <p className="progress-line" role="status" data-testid="queue-progress">
      {label}: bs {current.config.batchSize} · lr {current.config.learningRate} · epoch {epoch} of {current.config.epochs}
      {compiling ? ' · compiling…' : ''} · {turns.length - 1} turns after this · {estimate}
    </p>
  );
}
