import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Cell, LabelList, ResponsiveContainer, XAxis, YAxis } from 'recharts';
import type { TrainConfig } from '../config/trainConfig';
import type { Calibration } from '../domain/machineRates';
import { priceRuns } from '../experiments/estimate';
import { DEFAULT_LAB_BATCH_SIZES, labConfigs, labFindings, parseBatchSizes, updatesPerEpoch } from '../experiments/batchLab';
import type { ReferenceFile } from '../experiments/reference';
import { latestEpoch, newRunId } from '../experiments/runHistory';
import { type QueuedTurn, racePlan, sequentialPlan } from '../experiments/runQueue';
import type { ControlsMode } from './classroom';
import { EstimateFigure } from './Estimates';
import { formatNumber, formatRate } from './format';
import { PALETTE } from './palette';
import { QueueProgress } from './QueueProgress';
import { ScrollBox } from './ScrollBox';
import { TrainingCharts } from './TrainingCharts';
import type { RunRecord } from '../domain/run';

const LAB_PREFIX = 'Batch-size lab #';

interface Props {
  /** The validated settings, which give the lab its budget; null while they are invalid. */
  baseConfig: TrainConfig | null;
  /** This machine's calibration and the settings' network's multiply-accumulates, once both are known. */
  estimate: { calibration: Calibration; macsPerExample: number } | null;
  runs: RunRecord[];
  canStart: boolean;
  /** Why the lab cannot start now, when it cannot. */
  disabledReason: string | null;
  queue: { pending: QueuedTurn[]; current: QueuedTurn | null };
  onRun(turns: QueuedTurn[]): void;
  controls: ControlsMode;
  /** The PyTorch references, drawn behind lab runs whose settings have one (a lab at a study scale). */
  references: ReferenceFile | null;
}

const labNumber = (group: string | null) => (group?.startsWith(LAB_PREFIX) ? Number(group.slice(LAB_PREFIX.length)) : 0);

function describeBudget(config: TrainConfig): string {
  return (
    `${config.epochs} epochs · ${config.trainSubset} training / ${config.testSubset} test images · ` +
    `${config.resolution}×${config.resolution} · width ${config.width} · seed ${config.seed} · ` +
    `lr ${config.learningRate} (for batch ${config.batchSize})`
  );
}

interface OptionProps {
  label: string;
  checked: boolean;
  disabled: boolean;
  onChange(checked: boolean): void;
}

function Option({ label, checked, disabled, onChange }: OptionProps) {
  return (
    <label className="check">
      <input type="checkbox" checked={checked} disabled={disabled} onChange={(event) => onChange(event.target.checked)} />{' '}
      {label}
    </label>
  );
}

export function BatchSizeLab({ baseConfig, estimate, runs, canStart, disabledReason, queue, onRun, controls, references }: Props) {
  const [batchSizesText, setBatchSizesText] = useState(DEFAULT_LAB_BATCH_SIZES);
  const [linearScaling, setLinearScaling] = useState(false);
  const [race, setRace] = useState(true);
  const parsed = baseConfig === null ? null : parseBatchSizes(batchSizesText, baseConfig.trainSubset);

  const latestLab = runs.reduce((latest, run) => Math.max(latest, labNumber(run.group)), 0);
  const labGroup = `${LAB_PREFIX}${latestLab}`;
  const labRuns = runs.filter((run) => run.group === labGroup).sort((a, b) => a.config.batchSize - b.config.batchSize);
  const labTurns = [queue.current, ...queue.pending].filter((turn): turn is QueuedTurn => turn?.group === labGroup);
  const findings = labFindings(labRuns);
  // Presenter view (styles.css) puts a lab at the top of the page while it is what the class last saw run.
  const current = labRuns.length > 0 && runs[runs.length - 1]?.group === labGroup;
  const blocked = disabledReason ?? (parsed?.ok === false ? 'Fix the batch sizes first.' : null);

  const runLab = () => {
    if (baseConfig === null || !parsed?.ok) return;
    const group = `${LAB_PREFIX}${latestLab + 1}`;
    const planned = labConfigs(baseConfig, parsed.sizes, linearScaling).map((config) => ({ runId: newRunId(), config }));
    onRun(race ? racePlan(planned, group) : sequentialPlan(planned, group));
  };

  // Coloured by the run's place in the lab, as the overlaid curves are, so a bar and its curve match.
  const throughput = labRuns.flatMap((run, index) => {
    const last = latestEpoch(run);
    if (last === undefined) return [];
    const color = PALETTE[index % PALETTE.length]!;
    return [{ label: `bs ${run.config.batchSize}`, examplesPerSecond: last.examplesPerSecond, color }];
  });

  return (
    <section className={`panel lab${current ? ' current' : ''}`} aria-label="Batch-size lab">
      <h2>Batch-size lab</h2>
      <p className="subtle">
        Trains the same network once per batch size, every run from the same initial weights and with the images in the
        same order, so the batch size (and, with the scaling rule, the learning rate) is the only difference.
      </p>
      <form
        className="lab-form"
        hidden={controls === 'hidden'}
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          if (canStart && blocked === null) runLab();
        }}
      >
        <div className={`field${parsed?.ok === false ? ' invalid' : ''}`}>
          <label htmlFor="lab-batch-sizes">Batch sizes</label>
          <input
            id="lab-batch-sizes"
            value={batchSizesText}
            disabled={controls !== 'shown'}
            aria-invalid={parsed?.ok === false}
            aria-describedby="lab-batch-sizes-note"
            onChange={(event) => setBatchSizesText(event.target.value)}
          />
          <small
            id="lab-batch-sizes-note"
            className={parsed?.ok === false ? 'error' : 'hint'}
            role={parsed?.ok === false ? 'alert' : undefined}
          >
            {parsed?.ok === false ? parsed.message : 'comma-separated, e.g. 8, 32, 128, 512'}
          </small>
        </div>
        <Option label="Linear scaling rule (lr ∝ batch size)" checked={linearScaling} disabled={controls !== 'shown'} onChange={setLinearScaling} />
        <Option label="Race (one epoch each, in turn)" checked={race} disabled={controls !== 'shown'} onChange={setRace} />
        <button type="submit" className="train" disabled={!canStart || blocked !== null}>
          Run lab
        </button>
        {blocked !== null && <span className="why">{blocked}</span>}
      </form>
      <p className="subtle">Budget, from the settings: {baseConfig ? describeBudget(baseConfig) : '—'}</p>
      {baseConfig !== null && parsed?.ok === true && estimate !== null && (
        <p className="subtle" data-testid="lab-estimate">
          The lab&apos;s {parsed.sizes.length} runs, one after another, on this machine:{' '}
          <EstimateFigure
            estimate={priceRuns(labConfigs(baseConfig, parsed.sizes, linearScaling), estimate.macsPerExample, estimate.calibration)}
            testId="lab-estimate-figure"
          />
          .
        </p>
      )}
      {labTurns.length > 0 && <QueueProgress label={race ? 'Race' : 'Lab'} turns={labTurns} runs={runs} />}
      {labRuns.length > 0 && (
        <>
          <h3 className="lab-title">
            {labGroup} <span className="subtle">{labRuns.length} batch sizes</span>
          </h3>
          <ScrollBox label="Runs of this lab">
            <table data-testid="lab-table">
              <thead>
                <tr>
                  <th>Batch</th>
                  <th>Learning rate</th>
                  <th>Updates / epoch</th>
                  <th>Epochs</th>
                  <th>Train loss</th>
                  <th>Test acc</th>
                  <th>Examples/s</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {labRuns.map((run) => {
                  const last = latestEpoch(run);
                  return (
                    <tr key={run.id} data-testid="lab-row" data-batch-size={run.config.batchSize} data-epochs-done={run.epochs.length}>
                      <td>{run.config.batchSize}</td>
                      <td>{run.config.learningRate}</td>
                      <td>{updatesPerEpoch(run.config)}</td>
                      <td>
                        {run.epochs.length} / {run.config.epochs}
                      </td>
                      <td>{formatNumber(last?.trainLoss)}</td>
                      <td>{formatNumber(last?.testAccuracy)}</td>
                      <td>{formatRate(last?.examplesPerSecond)}</td>
                      <td>
                        <span className={`status ${run.status}`}>{run.status}</span>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </ScrollBox>
          <div className="lab-charts">
            <TrainingCharts runs={labRuns} references={references} label="Curves of the lab" />
            <div className="chart" data-testid="throughput-chart">
              <h3>
                Examples per second <span className="subtle">(latest epoch, training only)</span>
              </h3>
              <ResponsiveContainer width="100%" height={220}>
                <BarChart data={throughput} margin={{ top: 20, right: 16, bottom: 8, left: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis dataKey="label" />
                  <YAxis width={48} />
                  <Bar dataKey="examplesPerSecond" isAnimationActive={false}>
                    {throughput.map((entry) => (
                      <Cell key={entry.label} fill={entry.color} />
                    ))}
                    <LabelList dataKey="examplesPerSecond" position="top" formatter={(value: unknown) => formatRate(Number(value))} />
                  </Bar>
                </BarChart>
              </ResponsiveContainer>
            </div>
          </div>
          {findings.length > 0 && (
            <div className="findings" data-testid="lab-findings">
              <h3>What to notice</h3>
              <ul>
                {findings.map((finding) => (
                  <li key={finding}>{finding}</li>
                ))}
              </ul>
            </div>
          )}
        </>
      )}
    </section>
  );
}
