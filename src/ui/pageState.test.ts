import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, configFromQuery, draftFromConfig } from '../config/trainConfig';
import { D2L_STUDY, FIRST_VISIT_CONFIG } from '../experiments/presets';
import { run } from '../experiments/runFixture';
import { DEFAULT_VIEW, viewFromQuery } from './classroom';
import { chartedRuns } from './useChartedRuns';
import { presetAfter, withField, withPreset } from './useConfigForm';
import { readLink, shareQuery } from './usePageLink';
import { plannedRun } from './useRunSource';
import type { SavedModelInfo } from '../domain/savedModel';

describe('the settings form', () => {
  const draft = draftFromConfig(DEFAULT_CONFIG);

  it("switching the model brings that model's resolution, auxiliary heads and dropout; other fields change alone", () => {
    expect(withField(draft, 'model', 'paper')).toMatchObject({ model: 'paper', resolution: '224', auxHeads: '1', dropout: '1' });
    expect(withField(withField(draft, 'model', 'paper'), 'model', 'd2l')).toMatchObject({ resolution: '96', auxHeads: '0', dropout: '0' });
    expect(withField(draft, 'resolution', '32')).toEqual({ ...draft, resolution: '32' });
  });

  it('a preset sets batch, learning rate and epochs, and keeps the scale', () => {
    const small = { ...draft, trainSubset: '1500', resolution: '32' };
    const [, second] = D2L_STUDY;
    expect(withPreset(small, second!)).toEqual({
      ...small,
      batchSize: String(second!.config.batchSize),
      learningRate: String(second!.config.learningRate),
      epochs: String(second!.config.epochs),
    });
  });

  it('steps through the presets round the list, from none to the first or the last', () => {
    const custom = { ...draft, batchSize: '3' };
    expect(presetAfter(custom, 1)).toBe(D2L_STUDY[0]);
    expect(presetAfter(custom, -1)).toBe(D2L_STUDY[D2L_STUDY.length - 1]);
    const last = withPreset(draft, D2L_STUDY[D2L_STUDY.length - 1]!);
    expect(presetAfter(last, 1)).toBe(D2L_STUDY[0]);
    expect(presetAfter(withPreset(draft, D2L_STUDY[0]!), -1)).toBe(D2L_STUDY[D2L_STUDY.length - 1]);
  });
});

describe('the page link', () => {
  it('a bare visit opens the first-visit settings; a link with any setting reads against d2l', () => {
    expect(readLink('')).toEqual({ config: FIRST_VISIT_CONFIG, autostart: false, view: DEFAULT_VIEW, warnings: [] });
    expect(readLink('?bs=8&present=1&autostart=1')).toMatchObject({
      config: { ...DEFAULT_CONFIG, batchSize: 8 },
      autostart: true,
      view: { ...DEFAULT_VIEW, presenter: true },
    });
  });

  it('collects the warnings of the settings and of the view', () => {
    expect(readLink('?bs=-5&theme=pink').warnings).toEqual([
      expect.stringContaining('bs=-5'),
      expect.stringContaining('theme=pink'),
    ]);
  });

  it('a shared link opens the same settings in the same view and starts the run', () => {
    const config = { ...FIRST_VISIT_CONFIG, learningRate: 0.1 };
    const view = { presenter: true, theme: 'dark', controls: 'locked' } as const;
    const query = shareQuery(config, view);
    expect(configFromQuery(query)).toMatchObject({ config, autostart: true, warnings: [] });
    expect(viewFromQuery(query).view).toEqual(view);
  });
});

describe('the charted runs', () => {
  const first = run('run-1', { startedAt: 1 });
  const second = run('run-2', { startedAt: 2 });
  const imported = run('run-3', { startedAt: 3, backend: 'pytorch' });

  it('show the latest run, or the one selected, with the PyTorch runs of its settings', () => {
    expect(chartedRuns([first, second], undefined, new Set())).toEqual({ shownRun: second, charted: [second] });
    expect(chartedRuns([first, second, imported], 'run-1', new Set()).charted).toEqual([first, imported]);
  });

  it('show the compared runs instead, when any are ticked', () => {
    expect(chartedRuns([first, second], 'run-1', new Set(['run-2'])).charted).toEqual([second]);
    expect(chartedRuns([], undefined, new Set())).toEqual({ shownRun: undefined, charted: [] });
  });
});

describe('the planned run', () => {
  const saved: SavedModelInfo = {
    id: 'model-1', name: 'pretrained', config: { ...FIRST_VISIT_CONFIG, width: 0.5, resolution: 48, poolBranch: 'avg' },
    datasetName: 'Fashion-MNIST', fromRunId: null, epoch: 3, createdAt: 1, classes: ['a', 'b'], side: 28, channels: 1,
  };

  it('trains the settings as they are on fresh weights', () => {
    expect(plannedRun(FIRST_VISIT_CONFIG, null, null, { modelId: null, freezeThrough: null })).toEqual({ config: FIRST_VISIT_CONFIG, dataset: null });
  });

  it("fine-tuning keeps the saved model's network and takes the form's other settings", () => {
    const form = { ...FIRST_VISIT_CONFIG, learningRate: 0.01 };
    const planned = plannedRun(form, null, saved, { modelId: 'model-1', freezeThrough: 'b3' });
    expect(planned.config).toEqual({ ...form, width: 0.5, resolution: 48, poolBranch: 'avg' });
    expect(planned.startedFrom).toEqual({ modelId: 'model-1', modelName: 'pretrained', freezeThrough: 'b3', inputChannels: 1, check: null });
  });
});
