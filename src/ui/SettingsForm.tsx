import { type ReactNode, useState } from 'react';
import {
  CONFIG_KEYS,
  DEFAULT_CONFIG,
  type ConfigDraft,
  type ConfigKey,
  FIELD_SPECS,
  type FieldErrors,
  type FieldGroup,
  type FieldSpec,
  encodeField,
} from '../config/trainConfig';
import { D2L_STUDY, type StudyPreset, presetShown } from '../experiments/presets';
import type { ControlsMode } from './classroom';
import { Fold } from './Fold';

const HINTS: Partial<Record<ConfigKey, string>> = {
  batchSize: 'images per update',
  learningRate: 'step size of each update',
  epochs: 'passes over the training images',
  trainSubset: 'of 60000 (first N)',
  testSubset: 'of 10000',
  resolution: 'd2l: 96; 32 trains ≈ 9× faster',
  width: '1 = the paper; 0.25 for a classroom demo',
  seed: 'same seed → same weights and batches',
  model: 'paper: 224×224, aux heads and dropout on',
  auxHeads: 'after 4a and 4d; loss weight 0.3',
  weightDecay: 'L2 on every weight; 0 = off',
  stepSize: 'used by the step schedule',
  gamma: 'used by the step schedule',
  warmupEpochs: 'linear ramp from 0; 0 = off',
  cropPadding: 'pixels of the 28×28 image; 0 = off',
};

const ABLATION_GROUPS: { group: FieldGroup; title: string }[] = [
  { group: 'model', title: 'Model' },
  { group: 'optimizer', title: 'Optimiser and schedule' },
  { group: 'augmentation', title: 'Augmentation' },
];

const keysOf = (group: FieldGroup) => CONFIG_KEYS.filter((key) => FIELD_SPECS[key].group === group);

const departsFromD2l = (draft: ConfigDraft, key: ConfigKey) => draft[key] !== encodeField(DEFAULT_CONFIG[key]);

/** An option that departs from d2l's setting, as the folded ablations name it. */
function departure(draft: ConfigDraft, key: ConfigKey): string {
  const spec: FieldSpec = FIELD_SPECS[key];
  const value = draft[key];
  if (spec.kind === 'flag') return `${spec.label} ${value === '1' ? 'on' : 'off'}`;
  if (spec.kind === 'choice') return `${spec.label}: ${spec.options.find((option) => option.value === value)?.label ?? value}`;
  return `${spec.label} ${value}`;
}

/** Every run setting and each option that departs from d2l's, spelled as in a link: short enough for one line. */
const linkSummary = (draft: ConfigDraft) =>
  CONFIG_KEYS.filter((key) => FIELD_SPECS[key].group === 'run' || departsFromD2l(draft, key))
    .map((key) => `${FIELD_SPECS[key].query} ${draft[key]}`)
    .join(' · ');

interface FieldProps {
  name: ConfigKey;
  value: string;
  error: string | undefined;
  disabled: boolean;
  onChange(key: ConfigKey, value: string): void;
}

function Field({ name, value, error, disabled, onChange }: FieldProps) {
  const spec: FieldSpec = FIELD_SPECS[name];
  const id = `field-${name}`;
  const common = {
    id,
    name: spec.query,
    disabled,
    'aria-invalid': error !== undefined,
    'aria-describedby': `${id}-note`,
  };
  return (
    <div className={`field${error ? ' invalid' : ''}${spec.kind === 'flag' ? ' flag' : ''}`}>
      {spec.kind === 'flag' ? (
        <label htmlFor={id}>
          <input {...common} type="checkbox" checked={value === '1'} onChange={(event) => onChange(name, event.target.checked ? '1' : '0')} />{' '}
          {spec.label}
        </label>
      ) : (
        <label htmlFor={id}>{spec.label}</label>
      )}
      {spec.kind === 'number' && (
        <input {...common} inputMode="decimal" value={value} onChange={(event) => onChange(name, event.target.value)} />
      )}
      {spec.kind === 'choice' && (
        <select {...common} value={value} onChange={(event) => onChange(name, event.target.value)}>
          {spec.options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
      <small id={`${id}-note`} className={error ? 'error' : 'hint'} role={error ? 'alert' : undefined}>
        {error ?? HINTS[name]}
      </small>
    </div>
  );
}

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
  /** Downloads these settings as a PyTorch experiment (train.py, config, data). */
  onExportExperiment(): void;
  /** What the last link copy or export did, or why it could not. */
  actionStatus: string | null;
  /** What the run in progress is doing, shown under Train and Stop. */
  progress?: ReactNode;
  /** What a run would take on this machine, shown under Train while nothing runs. */
  estimate?: ReactNode;
  /** Further choices for the next run (the dataset, the starting weights), folded after the ablations. */
  children?: ReactNode;
}

export function SettingsForm(props: Props) {
  const { draft, errors, running, controls, disabledReason } = props;
  const editable = !running && controls === 'shown';
  const hidden = controls === 'hidden';
  const ablationKeys = CONFIG_KEYS.filter((key) => FIELD_SPECS[key].group !== 'run');
  const ablationErrors = ablationKeys.some((key) => errors[key] !== undefined);
  const departures = ablationKeys.filter((key) => departsFromD2l(draft, key)).map((key) => departure(draft, key));
  // Presenter view only (styles.css): the form shrinks to one line so the curves get the projector.
  const [presenterOpen, setPresenterOpen] = useState(false);
  // A setting in error stays in sight, or the Train button's reason would point at nothing.
  const hasErrors = Object.keys(errors).length > 0;
  const collapsed = hidden || !(presenterOpen || hasErrors);
  const shownPreset = presetShown(draft);
  return (
    <section className={`panel settings${collapsed ? ' collapsed' : ''}`} aria-label="Training settings">
      {/* The form holds the whole panel, so that Train, pinned to the rail's foot, can rise as far as its top. */}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (disabledReason === null) props.onTrain();
        }}
        noValidate
      >
        <h2>
          Settings{' '}
          {controls === 'locked' && <span className="subtle">locked by the presenter</span>}{' '}
          {hidden ? (
            <span className="subtle" data-testid="settings-summary">
              {keysOf('run').map((key) => `${FIELD_SPECS[key].label.toLowerCase()} ${draft[key]}`).join(' · ')}
            </span>
          ) : (
            <span className="subtle settings-line" data-testid="settings-line">
              {linkSummary(draft)}
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
        {!hidden && (
          <button
            type="button"
            className="settings-toggle"
            aria-expanded={!collapsed}
            disabled={hasErrors}
            onClick={() => setPresenterOpen(!presenterOpen)}
          >
            {collapsed ? 'Show settings' : 'Hide settings'}
          </button>
        )}
        <div className="fields" hidden={hidden}>
          {keysOf('run').map((key) => (
            <Field key={key} name={key} value={draft[key]} error={errors[key]} disabled={!editable} onChange={props.onChange} />
          ))}
        </div>
        <Fold
          className="ablations"
          title="Ablations: model, optimiser, augmentation"
          summary={departures.length === 0 ? "all as d2l's" : departures.join(' · ')}
          forceOpen={ablationErrors}
          hidden={hidden}
        >
          {ABLATION_GROUPS.map(({ group, title }) => (
            <fieldset key={group} className="fields">
              <legend>{title}</legend>
              {keysOf(group).map((key) => (
                <Field key={key} name={key} value={draft[key]} error={errors[key]} disabled={!editable} onChange={props.onChange} />
              ))}
            </fieldset>
          ))}
        </Fold>
        {props.children && <div className="folds">{props.children}</div>}
        <div className="run-controls">
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
            <button type="button" onClick={props.onExportExperiment} title="Download train.py, these settings and the data, to train the same experiment in PyTorch">
              Export as PyTorch experiment
            </button>
            {!running && disabledReason !== null && (
              <span id="train-why" className="why">
                {disabledReason}
              </span>
            )}
            {props.actionStatus && (
              <span className="hint" role="status" data-testid="settings-action-status">
                {props.actionStatus}
              </span>
            )}
          </div>
          {!running && props.estimate}
          {props.progress}
        </div>
      </form>
    </section>
  );
}
