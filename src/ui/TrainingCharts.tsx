import { type RefObject, useRef, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { describeConfig } from '../config/trainConfig';
import type { ReferenceFile } from '../experiments/reference';
import { type ReferencePoint, referencePoints, runReference } from '../experiments/referenceChart';
import { X_AXIS_LABELS, type XAxis as AxisKind, epochX, sampleX } from '../experiments/xAxis';
import { downloadChartPng } from './chartPng';
import { PALETTE } from './palette';
import type { RunRecord } from '../domain/run';

interface Props {
  /** One run, or several to overlay. */
  runs: RunRecord[];
  /** The shipped PyTorch reference curves, once loaded; each is drawn behind the runs with its settings. */
  references: ReferenceFile | null;
  /** The panel's name, told apart from the other curves on the page (a lab's, a study's). */
  label?: string;
}

/** A single run's reference needs no colour of its own: grey, darker for test than for train accuracy. */
const REFERENCE_GREY = { test: '#6c757d', train: '#adb5bd' };
/** Longer than the dashes of a compared run's train accuracy, so the two stay apart. */
const REFERENCE_DASH = '10 5';
const REFERENCE_NAME = 'PyTorch reference';
/** Before any run: points spanning an epoch, the untrained loss (ln 10) and the accuracy scale, so the axes have ticks. */
const AXES_ONLY = [
  { x: 0, loss: Math.log(10), accuracy: 0 },
  { x: 1, loss: 0, accuracy: 1 },
];

/** A function, not a component: recharts reads its series from the chart's direct children. */
const referenceLine = (key: string, points: ReferencePoint[], dataKey: Exclude<keyof ReferencePoint, 'x'>, name: string, stroke: string) => (
  <Line
    key={key}
    data={points}
    dataKey={dataKey}
    name={name}
    stroke={stroke}
    strokeDasharray={REFERENCE_DASH}
    strokeWidth={1.5}
    dot={false}
    isAnimationActive={false}
    legendType="plainline"
  />
);

/** A run imported from train.py says so, and where it ran, beside the browser runs it is drawn with. */
function runLegend(run: RunRecord): string {
  const label = run.name || describeConfig(run.config);
  return run.backend === 'pytorch' ? `${label} (PyTorch${run.adapter ? `, ${run.adapter}` : ''})` : label;
}
const formatTick = (value: number) =>
  Math.abs(value) >= 1000 ? `${(value / 1000).toFixed(value >= 10_000 ? 0 : 1)}k` : String(Number(value.toFixed(2)));
const tooltipValue = (value: unknown) => (typeof value === 'number' ? value.toFixed(4) : String(value));

/** Lower-case letters, digits and inner dots only: safe in a file name on any system ("bs 64 · lr 0.05" → "bs-64-lr-0.05"). */
const fileSlug = (text: string) =>
  text.toLowerCase().replace(/[^a-z0-9.]+/g, '-').replace(/^[-.]+|[-.]+$/g, '') || 'chart';

interface PngButtonProps {
  chart: RefObject<HTMLDivElement | null>;
  /** "loss" or "accuracy": the file name's start and the button's label. */
  kind: string;
  title: string;
  slug: string;
}

function PngButton({ chart, kind, title, slug }: PngButtonProps) {
  const [problem, setProblem] = useState<string | null>(null);
  const download = () => {
    if (chart.current === null) return;
    setProblem(null);
    downloadChartPng(chart.current, title, `${kind}-${slug}.png`).catch((error: unknown) =>
      setProblem(error instanceof Error ? error.message : String(error)),
    );
  };
  return (
    <>
      <button type="button" className="link" aria-label={`Download the ${kind} chart as PNG`} onClick={download}>
        PNG
      </button>
      {problem && (
        <span className="error" role="alert">
          {problem}
        </span>
      )}
    </>
  );
}

export function TrainingCharts({ runs, references, label = 'Training curves' }: Props) {
  const lossChart = useRef<HTMLDivElement>(null);
  const accuracyChart = useRef<HTMLDivElement>(null);
  const [axis, setAxis] = useState<AxisKind>('epoch');
  const [logLoss, setLogLoss] = useState(false);
  const [showReference, setShowReference] = useState(true);
  const single = runs.length === 1;
  const axesOnly = runs.length === 0;
  // Before the first run the axes are drawn all the same, so the page shows where the curves will grow.
  const subtitle = axesOnly
    ? 'Press Train: the loss and accuracy curves grow here, epoch by epoch.'
    : single
      ? runLegend(runs[0]!)
      : `${runs.length} runs compared`;
  const slug = single ? fileSlug(subtitle) : `${runs.length}-runs`;
  const series = runs.map((run, index) => ({
    run,
    color: PALETTE[index % PALETTE.length]!,
    epochs: run.epochs.map((e) => ({
      x: epochX(e, axis),
      loss: e.trainLoss,
      trainAcc: e.trainAccuracy,
      testAcc: e.testAccuracy,
    })),
    samples: run.batchLosses.map((s) => ({ x: sampleX(s, axis), loss: s.loss })),
  }));
  const referenceSeries = series.flatMap(({ run, color }) => {
    const reference = runReference(run, references);
    if (reference === undefined) return [];
    // On the seconds axis the curve runs on the reference machine's clock, not this browser's.
    const clock = axis === 'seconds' ? ` · ${reference.device} time` : '';
    const name = single ? `${REFERENCE_NAME}${clock}` : `${runLegend(run)} · ${REFERENCE_NAME}${clock}`;
    const stroke = single ? REFERENCE_GREY.test : color;
    return [{ run, reference, name, stroke, points: referencePoints(reference, axis) }];
  });
  const drawnReferences = showReference ? referenceSeries : [];
  const referenceDevices = [...new Set(referenceSeries.map(({ reference: r }) => `${r.device}, PyTorch ${r.torch}, ${r.threads} threads`))];
  const xAxis = (
    <XAxis
      type="number"
      dataKey="x"
      domain={axis === 'epoch' ? [0, Math.max(1, ...runs.map((r) => r.config.epochs))] : [0, 'auto']}
      allowDecimals={axis !== 'epoch'}
      tickFormatter={formatTick}
      label={{ value: X_AXIS_LABELS[axis], position: 'insideBottomRight', offset: -4 }}
    />
  );
  const lossAxis = logLoss ? (
    <YAxis type="number" scale="log" domain={['auto', 'auto']} allowDataOverflow tickFormatter={formatTick} width={48} />
  ) : (
    <YAxis type="number" dataKey={axesOnly ? 'loss' : undefined} domain={['auto', 'auto']} tickFormatter={(v: number) => v.toFixed(2)} width={48} />
  );
  return (
    <section className="panel charts" aria-label={label}>
      <div className="chart-header">
        <h2>
          Curves{' '}
          <span className="subtle">{subtitle}</span>
        </h2>
        <label>
          x-axis{' '}
          <select aria-label="x-axis" value={axis} onChange={(event) => setAxis(event.target.value as AxisKind)}>
            {(Object.keys(X_AXIS_LABELS) as AxisKind[]).map((kind) => (
              <option key={kind} value={kind}>
                {X_AXIS_LABELS[kind]}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={logLoss} onChange={(event) => setLogLoss(event.target.checked)} /> log loss
        </label>
        {referenceSeries.length > 0 && (
          <label title={`Dashed: scripts/parity/reference_curves.py with the same settings (seed aside), on ${referenceDevices.join('; ')}`}>
            <input
              type="checkbox"
              data-testid="reference-toggle"
              checked={showReference}
              onChange={(event) => setShowReference(event.target.checked)}
            />{' '}
            {REFERENCE_NAME}
          </label>
        )}
      </div>
      <div className="chart" data-testid="loss-chart" ref={lossChart}>
        <h3>
          Training loss <PngButton chart={lossChart} kind="loss" title={`Training loss · ${subtitle}`} slug={slug} />
        </h3>
        <ResponsiveContainer width="100%" height={260}>
          <LineChart data={axesOnly ? AXES_ONLY : undefined} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            {xAxis}
            {lossAxis}
            <Tooltip formatter={tooltipValue} />
            <Legend />
            {drawnReferences.map(({ run, name, stroke, points }) => referenceLine(`${run.id}-reference`, points, 'loss', name, stroke))}
            {series.map(({ run, color, samples }) => (
              <Line
                key={`${run.id}-live`}
                data={samples}
                dataKey="loss"
                name={single ? 'batch loss (live)' : `${runLegend(run)} · live`}
                stroke={color}
                strokeOpacity={0.35}
                dot={false}
                strokeWidth={1}
                isAnimationActive={false}
                legendType={single ? 'line' : 'none'}
              />
            ))}
            {series.map(({ run, color, epochs }) => (
              <Line
                key={run.id}
                data={epochs}
                dataKey="loss"
                name={single ? 'train loss (epoch mean)' : runLegend(run)}
                stroke={color}
                strokeWidth={2}
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
      <div className="chart" data-testid="accuracy-chart" ref={accuracyChart}>
        <h3>
          Accuracy{' '}
          {!single && (
            <span className="subtle">
              (solid: test · dashed: train{drawnReferences.length > 0 ? ' · long dashes: PyTorch reference' : ''})
            </span>
          )}{' '}
          <PngButton chart={accuracyChart} kind="accuracy" title={`Accuracy · ${subtitle}`} slug={slug} />
        </h3>
        <ResponsiveContainer width="100%" height={260}>
          <LineChart data={axesOnly ? AXES_ONLY : undefined} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            {xAxis}
            <YAxis type="number" dataKey={axesOnly ? 'accuracy' : undefined} domain={[0, 1]} ticks={[0, 0.2, 0.4, 0.6, 0.8, 1]} width={48} />
            <Tooltip formatter={tooltipValue} />
            <Legend />
            {/* A compared run's reference shows test accuracy only: a second dashed line per run would not read. */}
            {single &&
              drawnReferences.map(({ run, name, points }) =>
                referenceLine(`${run.id}-reference-train`, points, 'trainAcc', `${name} · train`, REFERENCE_GREY.train),
              )}
            {drawnReferences.map(({ run, name, stroke, points }) =>
              referenceLine(`${run.id}-reference-test`, points, 'testAcc', single ? `${name} · test` : name, stroke),
            )}
            {series.map(({ run, color, epochs }) => (
              <Line
                key={`${run.id}-train`}
                data={epochs}
                dataKey="trainAcc"
                name={single ? 'train accuracy' : `${runLegend(run)} · train`}
                stroke={single ? PALETTE[0] : color}
                strokeDasharray={single ? undefined : '5 4'}
                strokeWidth={single ? 2 : 1.5}
                isAnimationActive={false}
                legendType={single ? 'line' : 'none'}
              />
            ))}
            {series.map(({ run, color, epochs }) => (
              <Line
                key={`${run.id}-test`}
                data={epochs}
                dataKey="testAcc"
                name={single ? 'test accuracy' : runLegend(run)}
                stroke={single ? PALETTE[1] : color}
                strokeWidth={2}
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
}
