import { type TrainConfig, networkShape } from '../config/trainConfig';
import type { BackendName } from '../domain/backend';
import { type Estimate, priceQuickStart, priceRun } from '../experiments/estimate';
import type { CalibrationState } from '../worker/useTrainingWorker';
import type { SummaryState } from '../worker/workerMessages';
import { formatEstimate } from './format';

export const BACKEND_LABELS: Record<BackendName, string> = { webgpu: 'WebGPU', wasm: 'wasm', webgl: 'WebGL', cpu: 'CPU' };

export const SCALED_NOTE = 'scaled from the Classroom network by multiply-accumulates';

/** The network's multiply-accumulates per image from the model summary, once it describes the settings' network. */
export function settingsMacs(summary: SummaryState, config: TrainConfig | null): number | null {
  if (summary.status !== 'ready' || config === null) return null;
  const sameNetwork = JSON.stringify({ ...summary.summary.config, batchSize: 0 }) === JSON.stringify({ ...networkShape(config), batchSize: 0 });
  return sameNetwork ? summary.summary.totalMacs : null;
}

/** One estimate, its seconds in data-seconds for the tests, and, when it is scaled rather than measured, that it is. */
export function EstimateFigure({ estimate, testId }: { estimate: Estimate; testId: string }) {
  return (
    <span data-testid={testId} data-seconds={estimate.seconds.toFixed(1)} title={estimate.scaled ? `Estimated: ${SCALED_NOTE}` : undefined}>
      {formatEstimate(estimate.seconds)}
      {estimate.scaled && ` (${SCALED_NOTE})`}
    </span>
  );
}

interface RunEstimateProps {
  calibration: CalibrationState;
  backend: BackendName;
  config: TrainConfig | null;
  macsPerExample: number | null;
}

/** Under Train: what the quick start and the current settings would take here, or that this machine is being measured. */
export function RunEstimate({ calibration, backend, config, macsPerExample }: RunEstimateProps) {
  switch (calibration.status) {
    case 'waiting':
      return null;
    case 'measuring':
      return (
        <p className="subtle run-estimate" data-testid="calibrating">
          Measuring this machine ({BACKEND_LABELS[backend]}) to estimate run times…
        </p>
      );
    case 'failed':
      return (
        <p className="subtle run-estimate" data-testid="calibration-failed">
          No time estimates: measuring this machine failed ({calibration.message}).
        </p>
      );
    case 'ready':
      return (
        <p className="subtle run-estimate" data-testid="run-estimate">
          On this machine ({BACKEND_LABELS[backend]}): the quick start <EstimateFigure estimate={priceQuickStart(calibration.calibration)} testId="quick-start-estimate" />
          {config !== null && macsPerExample !== null && (
            <>
              , these settings <EstimateFigure estimate={priceRun(config, macsPerExample, calibration.calibration)} testId="settings-estimate" />
            </>
          )}
          .
        </p>
      );
  }
}
