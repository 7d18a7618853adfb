import { useCallback, useState } from 'react';
import {
  type ConfigDraft,
  type ConfigKey,
  type FieldErrors,
  type TrainConfig,
  draftFromSettings,
  formFromConfig,
  formFromDraft,
} from '../config/trainConfig';
import { D2L_STUDY, type StudyPreset, presetShown } from '../experiments/presets';

/**
 * Switching the model brings the settings it is defined with: the paper's network is built for 224×224 with its
 * auxiliary classifiers and dropout; d2l's for 96×96 without. Each stays switchable afterwards.
 */
export function withField(draft: ConfigDraft, key: ConfigKey, value: string): ConfigDraft {
  if (key !== 'model' || value === draft.model) return { ...draft, [key]: value };
  const paper = value === 'paper';
  return { ...draft, model: value, resolution: paper ? '224' : '96', auxHeads: paper ? '1' : '0', dropout: paper ? '1' : '0' };
}

/** A preset sets what d2l's runs differ in; the scale (images, resolution, width) stays as the form has it. */
export function withPreset(draft: ConfigDraft, preset: StudyPreset): ConfigDraft {
  return {
    ...draft,
    batchSize: String(preset.config.batchSize),
    learningRate: String(preset.config.learningRate),
    epochs: String(preset.config.epochs),
  };
}

/** The preset after (1) or before (−1) the one the form shows, round the list; from none, the first or the last. */
export function presetAfter(draft: ConfigDraft, direction: 1 | -1): StudyPreset {
  const current = presetShown(draft);
  const index = current === undefined ? (direction === 1 ? -1 : 0) : D2L_STUDY.indexOf(current);
  return D2L_STUDY[(index + direction + D2L_STUDY.length) % D2L_STUDY.length]!;
}

const NO_ERRORS: FieldErrors = {};

export interface ConfigForm {
  /** What each field shows, as typed. */
  draft: ConfigDraft;
  /** The settings the fields stand for, or null while one is in error. */
  config: TrainConfig | null;
  errors: FieldErrors;
  setField(key: ConfigKey, value: string): void;
  applyPreset(preset: StudyPreset): void;
  /** Sets several fields at once (a scale): they are checked together, so no rule between them trips halfway. */
  applySettings(settings: Partial<TrainConfig>): void;
  stepPreset(direction: 1 | -1): void;
}

/** The settings form's state: the fields as typed, checked on every edit, starting from settings known to be valid. */
export function useConfigForm(initial: TrainConfig): ConfigForm {
  const [{ draft, validation }, setForm] = useState(() => formFromConfig(initial));
  const edit = useCallback((change: (current: ConfigDraft) => ConfigDraft) => setForm((form) => formFromDraft(change(form.draft))), []);
  const setField = useCallback((key: ConfigKey, value: string) => edit((d) => withField(d, key, value)), [edit]);
  const applyPreset = useCallback((preset: StudyPreset) => edit((d) => withPreset(d, preset)), [edit]);
  const applySettings = useCallback((settings: Partial<TrainConfig>) => edit((d) => ({ ...d, ...draftFromSettings(settings) })), [edit]);
  const stepPreset = useCallback((direction: 1 | -1) => edit((d) => withPreset(d, presetAfter(d, direction))), [edit]);
  return {
    draft,
    config: validation.ok ? validation.config : null,
    errors: validation.ok ? NO_ERRORS : validation.errors,
    setField,
    applyPreset,
    applySettings,
    stepPreset,
  };
}
