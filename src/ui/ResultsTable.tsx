import { type ChangeEvent, useState } from 'react';
import { describeConfig } from '../config/trainConfig';
import { reductions } from '../experiments/presets';
import { latestEpoch } from '../experiments/runHistory';
import { HELD_ELSEWHERE_MESSAGE, resumeControl, seenFromHere } from '../experiments/runLock';
import type { RunLocksView } from '../experiments/useRunLocks';
import { exportRuns, runsToCsv } from '../experiments/runExchange';
import type { RunHistory } from '../experiments/useRunHistory';
import type { MemoryUse } from '../worker/protocol';
import { formatBytes, formatNumber, formatRate, formatSeconds } from './format';
import { downloadBlob } from './download';
import type { TrainingWorker } from '../worker/useTrainingWorker';
import type { RunRecord } from '../domain/run';
import type { TransferRef } from '../domain/transfer';

interface Props {
  history: RunHistory;
  activeRunId: string | null;
  memoryAfterRun: MemoryUse | null;
  selectedRunId: string | undefined;
  onSelect(runId: string): void;
  compared: ReadonlySet<string>;
  onToggleCompare(runId: string): void;
  /** Whether a run can start now (backend and data ready, nothing training). */
  canStart: boolean;
  /** Whether another tab trains a run, so far as this tab knows. */
  lockOf: RunLocksView['lockOf'];
  onResume(run: RunRecord): void;
  /** The run as a PyTorch experiment (train.py, config, data, weights), made by the worker. */
  exportExperiment: TrainingWorker['exportExperiment'];
}

const download = (fileName: string, text: string, type: string) => downloadBlob(fileName, new Blob([text], { type }));

const runLabel = (run: RunRecord) => run.name || describeConfig(run.config);

function RunName({ run, onRename }: { run: RunRecord; onRename(name: string): void }) {
  const [draft, setDraft] = useState<string | null>(null);
  if (draft === null) {
    return (
      <>
        <span className="run-name">{runLabel(run)}</span>
        <button type="button" className="link" aria-label={`Rename ${runLabel(run)}`} onClick={() => setDraft(run.name)}>
          rename
        </button>
      </>
    );
  }
  const commit = () => {
    onRename(draft);
    setDraft(null);
  };
  return (
    <input
      aria-label="Run name"
      autoFocus
      value={draft}
      placeholder={describeConfig(run.config)}
      onChange={(event) => setDraft(event.target.value)}
      onBlur={commit}
      onKeyDown={(event) => {
        if (event.key === 'Enter') commit();
        if (event.key === 'Escape') setDraft(null);
      }}
    />
  );
}

/** Where a fine-tuned run started, and whether its frozen stages stayed as they were. */
function TransferNote({ transfer }: { transfer: TransferRef }) {
  const { check } = transfer;
  return (
    <div
      className="subtle"
      data-testid="transfer-note"
      data-frozen-max-change={check?.frozenMaxChange ?? ''}
      data-trained-max-change={check?.trainedMaxChange ?? ''}
      data-head-max-change={check?.headMaxChange ?? ''}
    >
      fine-tuned from {transfer.modelName}
      {transfer.freezeThrough ? `, b1–${transfer.freezeThrough} frozen` : ''}
      {check && transfer.freezeThrough
        ? ` (frozen weights moved by at most ${check.frozenMaxChange.toPrecision(2)}, the others by up to ` +
          `${check.trainedMaxChange.toPrecision(2)}, the new classifier by up to ${check.headMaxChange.toPrecision(2)})`
        : ''}
    </div>
  );
}

export function ResultsTable(props: Props) {
  const { history, activeRunId, memoryAfterRun, selectedRunId, onSelect, compared, onToggleCompare, canStart, lockOf, onResume } =
    props;
  const { runs } = history;
  const [importProblem, setImportProblem] = useState<string | null>(null);
  const [experimentExport, setExperimentExport] = useState<{ runId: string; text: string; error: boolean } | null>(null);

  const exportExperiment = async (run: RunRecord) => {
    setExperimentExport({ runId: run.id, text: 'Packing the PyTorch experiment…', error: false });
    try {
      const { config, dataset, startedFrom } = run;
      const file = await props.exportExperiment({ name: runLabel(run), config, dataset, runId: run.id, inputChannels: startedFrom?.inputChannels });
      downloadBlob(file.fileName, new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: 'application/zip' }));
      setExperimentExport({ runId: run.id, text: `Downloaded ${file.fileName}: unzip it and follow its README.`, error: false });
    } catch (error) {
      setExperimentExport({ runId: run.id, text: (error as Error).message, error: true });
    }
  };

  const importRuns = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (file === undefined) return;
    setImportProblem(history.importFile(await file.text()));
  };

  const remove = (run: RunRecord) => {
    if (window.confirm(`Delete the run "${runLabel(run)}"? Its history cannot be recovered.`)) history.remove(run.id);
  };

  return (
    <section className="panel results" aria-label="Results">
      <h2>Runs</h2>
      <div className="toolbar">
        <label className="file-button">
          Import runs (JSON, or train.py's metrics.json)
          <input type="file" accept="application/json,.json" onChange={(event) => void importRuns(event)} />
        </label>
        <button type="button" disabled={runs.length === 0} onClick={() => download('googlenet-runs.json', exportRuns(runs), 'application/json')}>
          Export all (JSON)
        </button>
        <button type="button" disabled={runs.length === 0} onClick={() => download('googlenet-runs.csv', runsToCsv(runs), 'text/csv')}>
          Export table (CSV)
        </button>
        {importProblem && (
          <span className="error" role="alert" data-testid="import-error">
            {importProblem}
          </span>
        )}
        {history.storageProblem && (
          <span className="error" role="alert">
            {history.storageProblem}
          </span>
        )}
      </div>
      {runs.length === 0 ? (
        <p className="empty">No runs yet.</p>
      ) : (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th title="Overlay the selected runs on the charts">Compare</th>
                <th>Status</th>
                <th>Run</th>
                <th>Epochs</th>
                <th>Train loss</th>
                <th>Train acc</th>
                <th>Test acc</th>
                <th>Examples/s</th>
                <th>First step</th>
                <th>Backend</th>
                <th>Reduced</th>
                <th>
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {[...runs].reverse().map((stored) => {
                const lock = lockOf(stored.id);
                const run = seenFromHere(stored, lock);
                const resumable = resumeControl(stored, lock);
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
                    data-epoch-numbers={run.epochs.map((e) => e.epoch).join(',')}
                    aria-selected={run.id === selectedRunId}
                    className={run.id === selectedRunId ? 'selected' : undefined}
                    onClick={() => onSelect(run.id)}
                  >
                    <td onClick={(event) => event.stopPropagation()}>
                      <input
                        type="checkbox"
                        aria-label={`Compare ${runLabel(run)}`}
                        checked={compared.has(run.id)}
                        onChange={() => onToggleCompare(run.id)}
                      />
                    </td>
                    <td>
                      <span className={`status ${run.status}`}>{run.status}</span>
                      {run.error && <div className="error">{run.error}</div>}
                    </td>
                    <td onClick={(event) => event.stopPropagation()}>
                      <RunName run={run} onRename={(name) => history.rename(run.id, name)} />
                      {run.group && <div className="subtle">{run.group}</div>}
                      {run.dataset && <div className="subtle">on {run.dataset.name}</div>}
                      {run.startedFrom && <TransferNote transfer={run.startedFrom} />}
                    </td>
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
                    <td className="row-actions" onClick={(event) => event.stopPropagation()}>
                      {resumable !== 'none' && (
                        <button
                          type="button"
                          className="link"
                          disabled={!canStart || resumable === 'held-elsewhere'}
                          title={`Continue from epoch ${run.epochs.length + 1} with the same batch order and learning rate`}
                          onClick={() => onResume(stored)}
                        >
                          resume
                        </button>
                      )}
                      <button type="button" className="link" onClick={() => download(`${run.id}.json`, exportRuns([run]), 'application/json')}>
                        export
                      </button>
                      <button
                        type="button"
                        className="link"
                        title="Download this run as a PyTorch experiment: train.py, its settings, the data and its latest weights"
                        onClick={() => void exportExperiment(run)}
                      >
                        PyTorch
                      </button>
                      <button
                        type="button"
                        className="link"
                        disabled={run.id === activeRunId || lock === 'held-elsewhere'}
                        aria-label={`Delete ${runLabel(run)}`}
                        onClick={() => remove(run)}
                      >
                        delete
                      </button>
                      {resumable === 'held-elsewhere' && (
                        <div className="subtle" role="status" data-testid="run-held-elsewhere">
                          {HELD_ELSEWHERE_MESSAGE}
                        </div>
                      )}
                      {experimentExport?.runId === run.id && (
                        <div className={experimentExport.error ? 'error' : 'subtle'} role={experimentExport.error ? 'alert' : 'status'} data-testid="experiment-export-status">
                          {experimentExport.text}
                        </div>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
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
