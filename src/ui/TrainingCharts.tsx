import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { describeConfig } from '../config/trainConfig';
import type { RunRecord } from '../experiments/runHistory';

interface Props {
  run: RunRecord | undefined;
}

const COLORS = { trainLoss: '#1f6feb', batchLoss: '#9ab8e8', trainAcc: '#1f6feb', testAcc: '#d9480f' } as const;

/** The live samples sit at fractional epochs, so they line up with the per-epoch points on one axis. */
function batchLossPoints(run: RunRecord) {
  return run.batchLosses.map((s) => ({ x: s.epoch - 1 + s.batch / s.batchesPerEpoch, batchLoss: s.loss }));
}

export function TrainingCharts({ run }: Props) {
  if (run === undefined) {
    return (
      <section className="panel charts" aria-label="Training curves">
        <p className="empty">Press Train: the loss and accuracy curves appear here, epoch by epoch.</p>
      </section>
    );
  }
  const epochPoints = run.epochs.map((e) => ({
    x: e.epoch,
    trainLoss: e.trainLoss,
    trainAcc: e.trainAccuracy,
    testAcc: e.testAccuracy,
  }));
  const xDomain: [number, number] = [0, Math.max(run.config.epochs, 1)];
  const xAxis = (
    <XAxis
      type="number"
      dataKey="x"
      domain={xDomain}
      allowDecimals={false}
      label={{ value: 'epoch', position: 'insideBottomRight', offset: -4 }}
    />
  );
  return (
    <section className="panel charts" aria-label="Training curves">
      <h2>
        Curves <span className="subtle">{describeConfig(run.config)}</span>
      </h2>
      <div className="chart" data-testid="loss-chart">
        <h3>Training loss</h3>
        <ResponsiveContainer width="100%" height={260}>
          <LineChart margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            {xAxis}
            <YAxis type="number" domain={['auto', 'auto']} tickFormatter={(v: number) => v.toFixed(2)} width={48} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(4) : String(v))} />
            <Legend />
            <Line
              data={batchLossPoints(run)}
              dataKey="batchLoss"
              name="batch loss (live)"
              stroke={COLORS.batchLoss}
              dot={false}
              strokeWidth={1}
              isAnimationActive={false}
            />
            <Line
              data={epochPoints}
              dataKey="trainLoss"
              name="train loss (epoch mean)"
              stroke={COLORS.trainLoss}
              strokeWidth={2}
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <div className="chart" data-testid="accuracy-chart">
        <h3>Accuracy</h3>
        <ResponsiveContainer width="100%" height={260}>
          <LineChart data={epochPoints} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            {xAxis}
            <YAxis type="number" domain={[0, 1]} ticks={[0, 0.2, 0.4, 0.6, 0.8, 1]} width={48} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(4) : String(v))} />
            <Legend />
            <Line dataKey="trainAcc" name="train accuracy" stroke={COLORS.trainAcc} strokeWidth={2} isAnimationActive={false} />
            <Line dataKey="testAcc" name="test accuracy" stroke={COLORS.testAcc} strokeWidth={2} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
}
