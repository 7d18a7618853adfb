import type { ConfigDraft, TrainConfig } from '../config/trainConfig';
import type { BackendName } from '../domain/backend';
import { priceQuickStart, priceStudy } from '../experiments/estimate';
import { FIRST_VISIT_CONFIG, SCALED_SETTING_KEYS, STUDY_SCALES, type StudyScale, scaleOf, settingsAtScale } from '../experiments/presets';
import type { CalibrationState } from '../worker/useTrainingWorker';
import { BACKEND_LABELS, EstimateFigure } from './Estimates';

const isFirstVisit = (config: TrainConfig) => SCALED_SETTING_KEYS.every((key) => config[key] === FIRST_VISIT_CONFIG[key]);
const firstVisitSettings: Partial<TrainConfig> = Object.fromEntries(SCALED_SETTING_KEYS.map((key) => [key, FIRST_VISIT_CONFIG[key]]));

/** Smallest first, as a newcomer should meet them. */
const SCALE_BUTTONS: [StudyScale, string][] = [['classroom', 'Classroom'], ['reduced', 'Reduced'], ['faithful', 'Faithful d2l']];

interface Props {
  draft: ConfigDraft;
  /** The form's settings when they are valid. */
  config: TrainConfig | null;
  /** Whether the WebGPU adapter is a software one; null until the backend is known. */
  softwareAdapter: boolean | null;
  backend: BackendName;
  calibration: CalibrationState;
  editable: boolean;
  onApply(settings: Partial<TrainConfig>): void;
}

/**
 * One click to each scale the study offers, and what each costs on this machine: a newcomer on a machine without a
 * GPU should not start a run of days by accident.
 */
export function ScaleChooser({ draft, config, softwareAdapter, backend, calibration, editable, onApply }: Props) {
  const current = config === null ? undefined : isFirstVisit(config) ? 'quick' : scaleOf(config);
  return (
    <section className="panel scales" aria-label="Scale">
      <div className="toolbar" role="group" aria-label="Scale">
        <strong>Scale</strong>
        <button type="button" disabled={!editable} aria-pressed={current === 'quick'} onClick={() => onApply(firstVisitSettings)}>
          Quick start
        </button>
        {SCALE_BUTTONS.map(([scale, label]) => (
          <button
            key={scale}
            type="button"
            disabled={!editable}
            aria-pressed={current === scale}
            title={STUDY_SCALES[scale].label}
            onClick={() => onApply(settingsAtScale(scale, draft))}
          >
            {label}
          </button>
        ))}
      </div>
      <p className="subtle" data-testid="scale-description">
        {current === 'quick'
          ? 'Quick start: 2 epochs of 1,024 images at 32×32, width ¼, +BN (batch norm, which d2l leaves out) — leaves the ln 10 plateau in a couple of minutes on a laptop GPU.'
          : current !== undefined
            ? STUDY_SCALES[current].label
            : 'Custom settings.'}
      </p>
      {calibration.status === 'ready' && (
        <p className="subtle" data-testid="scale-estimates">
          Estimated on this machine ({BACKEND_LABELS[backend]}): the quick start{' '}
          <EstimateFigure estimate={priceQuickStart(calibration.calibration)} testId="estimate-quick" />; the studies (five presets
          each): Classroom <EstimateFigure estimate={priceStudy('classroom', calibration.calibration)} testId="estimate-classroom" />, Reduced{' '}
          <EstimateFigure estimate={priceStudy('reduced', calibration.calibration)} testId="estimate-reduced" />, faithful{' '}
          <EstimateFigure estimate={priceStudy('faithful', calibration.calibration)} testId="estimate-faithful" />.
        </p>
      )}
      {softwareAdapter === true && (
        <div className="notice" data-testid="software-proposal">
          <p>This browser&apos;s WebGPU runs on the CPU (SwiftShader): only the smallest scales finish in minutes here.</p>
          {current !== 'quick' && current !== 'classroom' && (
            <button type="button" disabled={!editable} onClick={() => onApply(settingsAtScale('classroom', draft))}>
              Use the Classroom scale
            </button>
          )}
        </div>
      )}
    </section>
  );
}
