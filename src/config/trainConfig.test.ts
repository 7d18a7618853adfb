import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONFIG,
  type TrainConfig,
  configFromQuery,
  describeConfig,
  draftFromConfig,
  formFromConfig,
  formFromDraft,
  queryFromConfig,
  validateDraft,
} from './trainConfig';

describe('validateDraft', () => {
  it('accepts the defaults', () => {
    expect(validateDraft(draftFromConfig(DEFAULT_CONFIG))).toEqual({ ok: true, config: DEFAULT_CONFIG });
  });

  it.each([
    ['batchSize', '', /Batch size is required/],
    ['batchSize', '0', /Batch size must be between 1 and 4096/],
    ['batchSize', '-8', /between 1 and/],
    ['batchSize', '12.5', /whole number/],
    ['learningRate', 'abc', /Learning rate must be a number, not "abc"/],
    ['learningRate', 'NaN', /must be a number/],
    ['learningRate', '0', /between/],
    ['epochs', 'Infinity', /must be a number/],
    ['trainSubset', '60001', /between 1 and 60000/],
    ['resolution', '8', /between 16 and 224/],
    ['width', '0', /between 0.01 and 4/],
  ] as const)('refuses %s = "%s" with a message for that field', (key, value, message) => {
    const result = validateDraft({ ...draftFromConfig(DEFAULT_CONFIG), [key]: value });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors[key]).toMatch(message);
      expect(Object.keys(result.errors)).toEqual([key]);
    }
  });

  it('refuses a batch larger than the training subset', () => {
    const result = validateDraft({ ...draftFromConfig(DEFAULT_CONFIG), batchSize: '128', trainSubset: '100' });
    expect(result).toEqual({
      ok: false,
      errors: { batchSize: 'Batch size (128) cannot exceed the number of training images (100).' },
    });
  });
});

describe('the settings form', () => {
  it('takes checked settings as they are, and parses and checks only what is typed', () => {
    const { config } = configFromQuery('?bs=512&train=100&lr=0.003');
    const form = formFromConfig(config);
    expect(form.validation).toEqual({ ok: true, config });
    if (form.validation.ok) expect(form.validation.config).toBe(config);
    expect(form.draft.batchSize).toBe('64');
    expect(formFromDraft({ ...form.draft, batchSize: '128' }).validation).toEqual({
      ok: false,
      errors: { batchSize: 'Batch size (128) cannot exceed the number of training images (100).' },
    });
  });
});

describe('URL settings', () => {
  it('round-trips a config and the autostart flag', () => {
    const config = { ...DEFAULT_CONFIG, batchSize: 8, learningRate: 0.02, resolution: 32, width: 0.25, seed: 9 };
    const query = queryFromConfig(config, true);
    expect(query).toContain('bs=8');
    expect(configFromQuery(`?${query}`)).toEqual({ config, autostart: true, hasSettings: true, warnings: [] });
  });

  it('tells a link that names no setting (it gets the first-visit settings) from one that names any', () => {
    expect(configFromQuery('?autostart=1&theme=dark')).toMatchObject({ autostart: true, hasSettings: false });
    expect(configFromQuery('?bn=1')).toMatchObject({ hasSettings: true, config: { ...DEFAULT_CONFIG, batchNorm: true } });
  });

  it('reports bad values and falls back to the defaults for them only', () => {
    const parsed = configFromQuery('?bs=-3&lr=0.1&res=abc');
    expect(parsed.config).toEqual({ ...DEFAULT_CONFIG, learningRate: 0.1 });
    expect(parsed.warnings).toHaveLength(2);
    expect(parsed.warnings[0]).toMatch(/bs=-3: Batch size must be between 1 and 4096\. Using 64\./);
    expect(parsed.warnings[1]).toMatch(/res=abc: Resolution must be a number/);
    expect(parsed.autostart).toBe(false);
  });

  it('repairs a batch size larger than the subset asked for', () => {
    const parsed = configFromQuery('?bs=512&train=100');
    expect(parsed.config.batchSize).toBe(64);
    expect(parsed.warnings).toEqual(['Link settings: Batch size (512) cannot exceed the number of training images (100). Using bs=64.']);
  });
});

describe('ablation options', () => {
  const ablated: TrainConfig = {
    ...DEFAULT_CONFIG,
    model: 'paper',
    auxHeads: true,
    dropout: true,
    batchNorm: true,
    activation: 'leaky-relu',
    factorize5x5: true,
    poolBranch: 'avg',
    init: 'kaiming',
    optimizer: 'adam',
    weightDecay: 0.0001,
    schedule: 'step',
    stepSize: 5,
    gamma: 0.5,
    warmupEpochs: 2,
    cropPadding: 4,
    flip: true,
  };

  it('round-trip through the URL, and stay out of it at their defaults', () => {
    expect(queryFromConfig(DEFAULT_CONFIG)).toBe('bs=64&lr=0.05&epochs=25&train=60000&test=10000&res=96&width=1&seed=1');
    const query = queryFromConfig(ablated);
    expect(query).toContain('bn=1&act=leaky-relu&factorize=1&pool=avg&init=kaiming&opt=adam&wd=0.0001&sched=step');
    expect(configFromQuery(`?${query}`)).toEqual({ config: ablated, autostart: false, hasSettings: true, warnings: [] });
  });

  it('validate choices and flags with a message for the field', () => {
    const result = validateDraft({ ...draftFromConfig(DEFAULT_CONFIG), activation: 'swish', batchNorm: 'yes', weightDecay: '-1' });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors.activation).toBe('Activation must be one of relu, leaky-relu, elu, tanh, not "swish".');
      expect(result.errors.batchNorm).toBe('Batch norm must be 1 (on) or 0 (off), not "yes".');
      expect(result.errors.weightDecay).toMatch(/between 0 and 1/);
    }
    expect(configFromQuery('?opt=rmsprop').warnings[0]).toMatch(/opt=rmsprop: Optimiser must be one of sgd, momentum, adam.*Using sgd\./);
  });

  it("refuse the paper's model below 32×32, where its ceil-mode pools run out of pixels", () => {
    const result = validateDraft({ ...draftFromConfig(DEFAULT_CONFIG), model: 'paper', resolution: '16' });
    expect(result).toEqual({ ok: false, errors: { resolution: "The paper's model needs a resolution of at least 32." } });
    const parsed = configFromQuery('?model=paper&res=16');
    expect(parsed.config.resolution).toBe(32);
    expect(parsed.warnings).toEqual(["Link settings: The paper's model needs a resolution of at least 32. Using res=32."]);
  });

  it('show in the legend when they depart from d2l', () => {
    expect(describeConfig(DEFAULT_CONFIG)).toBe('bs 64 · lr 0.05');
    expect(describeConfig(ablated)).toBe(
      'bs 64 · lr 0.05 · paper model · aux · dropout · BN · leaky-relu · 3×3+3×3 · avg pool · kaiming · adam · wd 0.0001 · ' +
        'step 5×0.5 · warm-up 2 · crop ±4 · flip',
    );
  });
});
