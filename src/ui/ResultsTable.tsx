import { describeConfig } from '../config/trainConfig';
import { reductions } from '../experiments/presets';
import { type RunRecord, latestEpoch } from '../experiments/runHistory';
import type { MemoryUse } from '../worker/protocol';
import { formatBytes, formatNumber, formatRate, formatSeconds } from './format';

interface Props {
  runs: RunRecord[];
  memoryAfterRun: MemoryUse | null;
  selectedRunId: string | undefined;
  onSelect(runId: string): void;
}

export function ResultsTable({ runs, memoryAfterRun, selectedRunId, onSelect }: Props) {
  return (
    <section className="panel results" aria-label="Results">
      <h2>Runs</h2>
      {runs.length === 0 ? (
        <p className="empty">No runs yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Status</th>
              <th>Settings</th>
              <th>Epochs</th>
              <th>Train loss</th>
              <th>Train acc</th>
              <th>Test acc</th>
              <th>Examples/s</th>
              <th>First step</th>
              <th>Backend</th>
              <th>Reduced</th>
            </tr>
          </thead>
          <tbody>
            {[...runs].reverse().map((run) => {
              const last = latestEpoch(run);
              return (
                <tr
                  key={run.id}
                  data-testid="run-row"
                  data-run-id={run.id}
                  data-status={run.status}
                  data-backend={run.backend}
                  data-epochs-done={run.epochs.length}
                  data-train-loss={last?.trainLoss ?? ''}
                  data-test-acc={last?.testAccuracy ?? ''}
                  data-examples-per-sec={last?.examplesPerSecond ?? ''}
                  data-tensors-per-epoch={run.epochs.map((e) => e.numTensors).join(',')}
                  aria-selected={run.id === selectedRunId}
                  className={run.id === selectedRunId ? 'selected' : undefined}
                  onClick={() => onSelect(run.id)}
                >
                  <td>
                    <span className={`status ${run.status}`}>{run.status}</span>
                    {run.error && <div className="error">{run.error}</div>}
                  </td>
                  <td>{describeConfig(run.config)}</td>
                  <td>
                    {run.epochs.length} / {run.config.epochs}
                  </td>
                  <td>{formatNumber(last?.trainLoss)}</td>
                  <td>{formatNumber(last?.trainAccuracy)}</td>
                  <td>{formatNumber(last?.testAccuracy)}</td>
                  <td>{formatRate(last?.examplesPerSecond)}</td>
                  <td title="includes compiling the shaders">{formatSeconds(run.warmupSeconds ?? undefined)}</td>
                  <td title={run.adapter ?? undefined}>{run.backend}</td>
                  <td className="subtle">{reductions(run.config).join(', ') || 'faithful'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {memoryAfterRun && (
        <p
          className="subtle"
          data-testid="memory-after-run"
          data-num-tensors={memoryAfterRun.numTensors}
          data-allocated-bytes={memoryAfterRun.allocatedBytes}
        >
          After the last run the worker holds {memoryAfterRun.numTensors} tensors and{' '}
          {formatBytes(memoryAfterRun.allocatedBytes)} of device memory (its buffer pool included).
        </p>
      )}
    </section>
  );
}
