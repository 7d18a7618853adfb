import { FALLBACK_BACKENDS } from '../worker/protocol';
import type { BackendState, DataState } from '../worker/workerMessages';
import { formatBytes } from './format';
import type { BackendName } from '../domain/backend';

const BACKEND_LABELS: Record<BackendName, string> = { webgpu: 'WebGPU', wasm: 'wasm', webgl: 'WebGL', cpu: 'CPU' };

const SWITCH_LABELS: Record<BackendName, string> = {
  webgpu: 'Try WebGPU again',
  wasm: 'Use wasm (CPU, fast)',
  webgl: 'Use WebGL',
  cpu: 'Use CPU',
};

/**
 * Training examples per second on wasm over WebGPU on SwiftShader, both in Chromium's worker on one 2-core machine
 * without a GPU, at 32×32, width ¼, batch norm, batch 32, per bare step: ≈ 415 (wasm, one thread) against 10–12
 * (docs/performance.md, "Fewer kernel calls").
 */
const WASM_OVER_SWIFTSHADER = 35;

interface Props {
  backend: BackendState;
  data: DataState;
  canSwitch: boolean;
  onSwitch(backend: BackendName): void;
}

function BackendLine({ backend, canSwitch, onSwitch }: Omit<Props, 'data'>) {
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
              The wasm backend trains ≈ {WASM_OVER_SWIFTSHADER}× faster here (measured on a 2-core machine).{' '}
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
      <BackendLine backend={props.backend} canSwitch={props.canSwitch} onSwitch={props.onSwitch} />
      <DataLine data={props.data} />
    </section>
  );
}
