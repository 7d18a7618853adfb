import { CONFIG_KEYS, type ConfigDraft, type ConfigKey, FIELD_SPECS, type FieldErrors } from '../config/trainConfig';
import { D2L_STUDY, type StudyPreset, presetShown } from '../experiments/presets';
import type { ControlsMode } from './classroom';

const HINTS: Record<ConfigKey, string> = {
  batchSize: 'images per SGD update',
  learningRate: 'plain SGD step size',
  epochs: 'passes over the training images',
  trainSubset: 'of 60000 (first N)',
  testSubset: 'of 10000',
  resolution: 'd2l: 96; 32 trains ≈ 9× faster',
  width: '1 = the paper; 0.25 for a classroom demo',
  seed: 'same seed → same weights and batches',
};

interface Props {
  draft: ConfigDraft;
  errors: FieldErrors;
  running: boolean;
  /** Locked: shown but not editable; hidden: only the settings in one line and Train/Stop. */
  controls: ControlsMode;
  disabledReason: string | null;
  onChange(key: ConfigKey, value: string): void;
  onPreset(preset: StudyPreset): void;
  onTrain(): void;
  onStop(): void;
  onCopyLink(): void;
  linkStatus: string | null;
}

export function SettingsForm(props: Props) {
  const { draft, errors, running, controls, disabledReason } = props;
  const editable = !running && controls === 'shown';
  const hidden = controls === 'hidden';
  const shownPreset = presetShown(draft);
  return (
    <section className="panel settings" aria-label="Training settings">
      <h2>
        Settings{' '}
        {controls === 'locked' && <span className="subtle">locked by the presenter</span>}
        {hidden && (
          <span className="subtle" data-testid="settings-summary">
            {CONFIG_KEYS.map((key) => `${FIELD_SPECS[key].label.toLowerCase()} ${draft[key]}`).join(' · ')}
          </span>
        )}
      </h2>
      {!hidden && (
        <div className="presets" role="group" aria-label="d2l presets">
          {D2L_STUDY.map((preset) => (
            <button
              key={preset.id}
              type="button"
              disabled={!editable}
              aria-pressed={preset === shownPreset}
              onClick={() => props.onPreset(preset)}
            >
              {preset.label}
            </button>
          ))}
        </div>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (disabledReason === null) props.onTrain();
        }}
        noValidate
      >
        <div className="fields" hidden={hidden}>
          {CONFIG_KEYS.map((key) => {
            const id = `field-${key}`;
            const error = errors[key];
            return (
              <div className={`field${error ? ' invalid' : ''}`} key={key}>
                <label htmlFor={id}>{FIELD_SPECS[key].label}</label>
                <input
                  id={id}
                  name={FIELD_SPECS[key].query}
                  inputMode="decimal"
                  value={draft[key]}
                  disabled={!editable}
                  aria-invalid={error !== undefined}
                  aria-describedby={`${id}-note`}
                  onChange={(event) => props.onChange(key, event.target.value)}
                />
                <small id={`${id}-note`} className={error ? 'error' : 'hint'} role={error ? 'alert' : undefined}>
                  {error ?? HINTS[key]}
                </small>
              </div>
            );
          })}
        </div>
        <div className="actions">
          {running ? (
            <button type="button" className="stop" onClick={props.onStop}>
              Stop
            </button>
          ) : (
            <button type="submit" className="train" disabled={disabledReason !== null} aria-describedby="train-why">
              Train
            </button>
          )}
          <button type="button" onClick={props.onCopyLink}>
            Copy link to these settings
          </button>
          {!running && disabledReason !== null && (
            <span id="train-why" className="why">
              {disabledReason}
            </span>
          )}
          {props.linkStatus && <span className="hint">{props.linkStatus}</span>}
        </div>
      </form>
    </section>
  );
}
