import type { ConfigDraft, TrainConfig } from '../config/trainConfig';
import { SOFTWARE_ADAPTER_RATES, estimatedSeconds, runWork, studyWork } from '../experiments/estimate';
import { FIRST_VISIT_CONFIG, SCALED_SETTING_KEYS, STUDY_SCALES, type StudyScale, scaleOf, settingsAtScale } from '../experiments/presets';
import { formatEstimate } from './format';

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
  editable: boolean;
  onApply(settings: Partial<TrainConfig>): void;
}

/**
 * One click to each scale the study offers, and, on a software adapter, what each costs there: a newcomer on a
 * machine without a GPU should not start a run of days by accident.
 */
export function ScaleChooser({ draft, config, softwareAdapter, editable, onApply }: Props) {
  const current = config === null ? undefined : isFirstVisit(config) ? 'quick' : scaleOf(config);
  const here = (work: number, scale: StudyScale) => formatEstimate(estimatedSeconds(work, SOFTWARE_ADAPTER_RATES[scale]));
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
      {softwareAdapter === true && (
        <div className="notice" data-testid="software-proposal">
          <p>
            This browser&apos;s WebGPU runs on the CPU (SwiftShader): about {SOFTWARE_ADAPTER_RATES.classroom} training
            images per second for the Classroom network on two cores. Estimated here: the quick start{' '}
            {here(runWork(FIRST_VISIT_CONFIG), 'classroom')}, the Classroom study (five presets){' '}
            {here(studyWork('classroom'), 'classroom')}, the Reduced study {here(studyWork('reduced'), 'reduced')}, the faithful
            study {here(studyWork('faithful'), 'faithful')}.
          </p>
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
