import { FALLBACK_BACKENDS } from '../worker/protocol';
import type { BackendState, DataState } from '../worker/workerMessages';
import { formatBytes } from './format';
import type { BackendName } from '../domain/backend';
import type { Calibration } from '../domain/machineRates';
import { priceQuickStart, quickStartSpeedup } from '../experiments/estimate';
import type { MachineRates } from '../experiments/machineRates';
import type { CalibrationState } from '../worker/useTrainingWorker';
import { BACKEND_LABELS, EstimateFigure } from './Estimates';

const SWITCH_LABELS: Record<BackendName, string> = {
  webgpu: 'Try WebGPU again',
  wasm: 'Use wasm (CPU, fast)',
  webgl: 'Use WebGL',
  cpu: 'Use CPU',
};

interface Props {
  backend: BackendState;
  /** This backend's calibration, and every one this browser has stored (another backend's among them). */
  calibration: CalibrationState;
  machineRates: Record<string, MachineRates>;
  data: DataState;
  canSwitch: boolean;
  onSwitch(backend: BackendName): void;
}

/** A software adapter's advice: wasm against this WebGPU, both as measured here, or how to measure the one missing. */
function WasmAdvice({ webgpu, wasm }: { webgpu: Calibration | null; wasm: Calibration | null }) {
  if (wasm === null) return <>The wasm backend is usually far faster without a GPU; it has not been measured here yet: measure it by switching.</>;
  const wasmFigure = <EstimateFigure estimate={priceQuickStart(wasm)} testId="wasm-quick-start" />;
  if (webgpu === null) return <>The wasm backend trains the quick start in {wasmFigure} here; WebGPU is being measured.</>;
  const speedup = quickStartSpeedup(wasm, webgpu);
  return (
    <>
      {speedup >= 1 ? `The wasm backend trains ≈ ${formatSpeedup(speedup)}× faster here` : `WebGPU trains ≈ ${formatSpeedup(1 / speedup)}× faster than wasm here`}{' '}
      (measured on this machine: the quick start {wasmFigure} on wasm,{' '}
      <EstimateFigure estimate={priceQuickStart(webgpu)} testId="webgpu-quick-start" /> on WebGPU).
    </>
  );
}

const formatSpeedup = (ratio: number) => (ratio >= 10 ? Math.round(ratio).toString() : ratio.toFixed(1));

function BackendLine({ backend, calibration, machineRates, canSwitch, onSwitch }: Omit<Props, 'data'>) {
  switch (backend.status) {
    case 'starting':
      return <p>Starting the {BACKEND_LABELS[backend.backend]} backend…</p>;
    case 'failed':
      return (
        <div className="alert" role="alert">
          <p>
            <strong>{BACKEND_LABELS[backend.backend]} is unavailable.</strong> {backend.reason}
          </p>
          <p>
            You can still train on another backend:{' '}
            {FALLBACK_BACKENDS.filter((b) => b !== backend.backend).map((b) => (
              <button key={b} type="button" disabled={!canSwitch} onClick={() => onSwitch(b)}>
                {SWITCH_LABELS[b]}
              </button>
            ))}
          </p>
        </div>
      );
    case 'ready': {
      const { adapter } = backend;
      return (
        <p>
          Backend: <strong data-testid="active-backend">{BACKEND_LABELS[backend.backend]}</strong>
          {adapter && (
            <>
              {' '}
              on <span data-testid="adapter">{[adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' · ') || 'an unnamed adapter'}</span>
            </>
          )}
          {adapter?.isSoftware && (
            <span className="badge warn" title="WebGPU runs on the CPU here">
              software GPU (SwiftShader): correct but very slow — use a small resolution and width
            </span>
          )}
          {backend.backend === 'wasm' && (
            <span className="badge" title="XNNPACK kernels on the CPU's cores">
              CPU backend: the fast choice without a GPU
            </span>
          )}
          {(backend.backend === 'webgl' || backend.backend === 'cpu') && (
            <span className="badge warn">not WebGPU: expect training to be far slower</span>
          )}
          {backend.backend !== 'webgpu' && canSwitch && (
            <button type="button" onClick={() => onSwitch('webgpu')}>
              {SWITCH_LABELS.webgpu}
            </button>
          )}
          {adapter?.isSoftware && (
            <span data-testid="wasm-recommendation">
              {' '}
              <WasmAdvice
                webgpu={calibration.status === 'ready' ? calibration.calibration : null}
                wasm={Object.values(machineRates).find((rates) => rates.backend === 'wasm')?.calibration ?? null}
              />{' '}
              {canSwitch && (
                <button type="button" onClick={() => onSwitch('wasm')}>
                  {SWITCH_LABELS.wasm}
                </button>
              )}
            </span>
          )}
        </p>
      );
    }
  }
}

function DataLine({ data }: { data: DataState }) {
  switch (data.status) {
    case 'waiting':
      return null;
    case 'loading': {
      const percent = data.totalBytes ? Math.round((100 * data.loadedBytes) / data.totalBytes) : null;
      return (
        <p>
          Loading Fashion-MNIST… {formatBytes(data.loadedBytes)}
          {data.totalBytes !== null && ` of ${formatBytes(data.totalBytes)}`}{' '}
          <progress max={100} value={percent ?? undefined} aria-label="Data download progress" />
        </p>
      );
    }
    case 'ready':
      return (
        <p data-testid="data-ready">
          Fashion-MNIST loaded: {data.trainCount.toLocaleString('en')} training and{' '}
          {data.testCount.toLocaleString('en')} test images.
        </p>
      );
    case 'failed':
      return (
        <p className="alert" role="alert">
          <strong>The Fashion-MNIST files could not be loaded.</strong> {data.message}
        </p>
      );
  }
}

export function BackendStatus(props: Props) {
  return (
    <section className="panel status" aria-label="Backend and data">
      <BackendLine
        backend={props.backend}
        calibration={props.calibration}
        machineRates={props.machineRates}
        canSwitch={props.canSwitch}
        onSwitch={props.onSwitch}
      />
      <DataLine data={props.data} />
    </section>
  );
}
