export type ModelVariant = 'd2l' | 'paper';
export type Activation = 'relu' | 'leaky-relu' | 'elu' | 'tanh';
export type PoolBranch = 'max' | 'avg';
export type WeightInit = 'xavier' | 'kaiming';
export type OptimizerName = 'sgd' | 'momentum' | 'adam';
export type LrSchedule = 'constant' | 'step' | 'cosine';
/** What batch norm's test pass normalises with: statistics recomputed over the training images, or the running averages. */
export type BatchNormStatistics = 'recompute' | 'running';

/** Every hyper-parameter of a run, in one typed object that round-trips through the URL. */
export interface TrainConfig {
  batchSize: number;
  learningRate: number;
  epochs: number;
  /** How many of the 60,000 training images to use (the first N of the official file). */
  trainSubset: number;
  /** How many of the 10,000 test images to evaluate on after each epoch. */
  testSubset: number;
  /** Square input side after the bilinear resize of the 28×28 images (d2l uses 96). */
  resolution: number;
  /** Multiplier applied to every channel count of the network (1 = the faithful model). */
  width: number;
  seed: number;
  /** d2l's variant (1 channel, 'same' pools) or the paper's (3 channels, ceil-mode pools, dropout, aux heads). */
  model: ModelVariant;
  /** Classifiers after 4a and 4d whose losses count 0.3 each in training; never used for evaluation. */
  auxHeads: boolean;
  /** Dropout 0.4 before the final layer. */
  dropout: boolean;
  /** Batch normalisation after every convolution (Inception v2). */
  batchNorm: boolean;
  /**
   * With batch norm, the statistics the test pass (and prediction, and the saved weights) use: recomputed over the
   * training images before each test pass, as torch.optim.swa_utils.update_bn does, or the running averages, which
   * move 10 % towards each batch and are still far from the data after a few dozen updates.
   */
  bnStats: BatchNormStatistics;
  activation: Activation;
  /** The 5×5 branch as two stacked 3×3 convolutions (Inception v3). */
  factorize5x5: boolean;
  poolBranch: PoolBranch;
  init: WeightInit;
  optimizer: OptimizerName;
  /** L2 penalty added to every gradient, as PyTorch's weight_decay (0 = off). */
  weightDecay: number;
  schedule: LrSchedule;
  /** Step schedule: multiply the learning rate by `gamma` every `stepSize` epochs. */
  stepSize: number;
  gamma: number;
  /** Epochs over which the learning rate ramps linearly from 0 (0 = no warm-up). */
  warmupEpochs: number;
  /** Random-crop augmentation: pad this many pixels (of the 28×28 image) and crop back at a random offset; 0 = off. */
  cropPadding: number;
  /** Random horizontal flips. */
  flip: boolean;
}

export type ConfigKey = keyof TrainConfig;

/** The settings that change the network itself (and so its summary), beyond resolution and width. */
export const ARCHITECTURE_KEYS = [
  'model',
  'auxHeads',
  'dropout',
  'batchNorm',
  'activation',
  'factorize5x5',
  'poolBranch',
  'init',
] as const satisfies readonly ConfigKey[];

export type ArchitectureOptions = Pick<TrainConfig, (typeof ARCHITECTURE_KEYS)[number]>;

/** What the model summary depends on: the network, and the batch for the memory estimate. */
export type NetworkShape = Pick<TrainConfig, 'resolution' | 'width' | 'batchSize'> & ArchitectureOptions;

/** The paper's network takes RGB (grey images are repeated on each channel); d2l's takes the data as it is. */
export const inputChannels = (model: ModelVariant, dataChannels: number): number => (model === 'paper' ? 3 : dataChannels);

/** The architecture switches of a config, and nothing else. */
export function architectureOf(config: TrainConfig): ArchitectureOptions {
  return Object.fromEntries(ARCHITECTURE_KEYS.map((key) => [key, config[key]])) as unknown as ArchitectureOptions;
}

export function networkShape(config: TrainConfig): NetworkShape {
  return { resolution: config.resolution, width: config.width, batchSize: config.batchSize, ...architectureOf(config) };
}

export const FASHION_MNIST_TRAIN_SIZE = 60_000;
export const FASHION_MNIST_TEST_SIZE = 10_000;

/** The faithful d2l settings of the first experiment of the tuning study. */
export const DEFAULT_CONFIG: TrainConfig = {
  batchSize: 64,
  learningRate: 0.05,
  epochs: 25,
  trainSubset: FASHION_MNIST_TRAIN_SIZE,
  testSubset: FASHION_MNIST_TEST_SIZE,
  resolution: 96,
  width: 1,
  seed: 1,
  model: 'd2l',
  auxHeads: false,
  dropout: false,
  batchNorm: false,
  bnStats: 'running',
  activation: 'relu',
  factorize5x5: false,
  poolBranch: 'max',
  init: 'xavier',
  optimizer: 'sgd',
  weightDecay: 0,
  schedule: 'constant',
  stepSize: 10,
  gamma: 0.1,
  warmupEpochs: 0,
  cropPadding: 0,
  flip: false,
};

/**
 * Smallest input the network accepts: five stride-2 reductions (conv, four pools) must leave at least one pixel.
 * The upper bound keeps one activation tensor under WebGPU's default storage-buffer binding limit for small batches.
 */
export const MIN_RESOLUTION = 16;
export const MAX_RESOLUTION = 224;
/** The paper's four ceil-mode pools without padding need a 16×16 map after the first convolution. */
export const MIN_PAPER_RESOLUTION = 32;

/** Where a field is shown: the first group is always visible, the others are the ablations of the articles. */
export type FieldGroup = 'run' | 'model' | 'optimizer' | 'augmentation';

interface FieldBase {
  /** URL query parameter name. */
  query: string;
  label: string;
  group: FieldGroup;
}
interface NumberField extends FieldBase {
  kind: 'number';
  integer: boolean;
  min: number;
  max: number;
}
interface ChoiceField extends FieldBase {
  kind: 'choice';
  options: readonly { value: string; label: string }[];
}
interface FlagField extends FieldBase {
  kind: 'flag';
}
export type FieldSpec = NumberField | ChoiceField | FlagField;

type FieldFor<V> = V extends boolean ? FlagField : V extends number ? NumberField : ChoiceField;

const number = (query: string, label: string, group: FieldGroup, integer: boolean, min: number, max: number): NumberField => ({
  kind: 'number', query, label, group, integer, min, max,
});
const choice = (query: string, label: string, group: FieldGroup, options: [string, string][]): ChoiceField => ({
  kind: 'choice', query, label, group, options: options.map(([value, optionLabel]) => ({ value, label: optionLabel })),
});
const flag = (query: string, label: string, group: FieldGroup): FlagField => ({ kind: 'flag', query, label, group });

export const FIELD_SPECS: { [K in ConfigKey]: FieldFor<TrainConfig[K]> } = {
  batchSize: number('bs', 'Batch size', 'run', true, 1, 4096),
  learningRate: number('lr', 'Learning rate', 'run', false, 1e-6, 100),
  epochs: number('epochs', 'Epochs', 'run', true, 1, 500),
  trainSubset: number('train', 'Training images', 'run', true, 1, FASHION_MNIST_TRAIN_SIZE),
  testSubset: number('test', 'Test images', 'run', true, 1, FASHION_MNIST_TEST_SIZE),
  resolution: number('res', 'Resolution', 'run', true, MIN_RESOLUTION, MAX_RESOLUTION),
  width: number('width', 'Width multiplier', 'run', false, 0.01, 4),
  seed: number('seed', 'Seed', 'run', true, 0, 2 ** 31 - 1),
  model: choice('model', 'Model', 'model', [['d2l', 'd2l (1 channel, 10 classes)'], ['paper', 'paper (3 channels, ceil-mode pools)']]),
  auxHeads: flag('aux', 'Auxiliary classifiers', 'model'),
  dropout: flag('dropout', 'Dropout 0.4', 'model'),
  batchNorm: flag('bn', 'Batch norm', 'model'),
  bnStats: choice('bnstats', 'Batch-norm statistics for the test', 'model', [
    ['recompute', 'recomputed over the training images'],
    ['running', 'running averages'],
  ]),
  activation: choice('act', 'Activation', 'model', [['relu', 'ReLU'], ['leaky-relu', 'LeakyReLU'], ['elu', 'ELU'], ['tanh', 'tanh']]),
  factorize5x5: flag('factorize', '5×5 as two 3×3', 'model'),
  poolBranch: choice('pool', 'Pool branch', 'model', [['max', 'max pool'], ['avg', 'average pool']]),
  init: choice('init', 'Weight init', 'model', [['xavier', 'Xavier uniform (d2l)'], ['kaiming', 'Kaiming normal, fan-out']]),
  optimizer: choice('opt', 'Optimiser', 'optimizer', [['sgd', 'SGD'], ['momentum', 'SGD + momentum 0.9'], ['adam', 'Adam']]),
  weightDecay: number('wd', 'Weight decay', 'optimizer', false, 0, 1),
  schedule: choice('sched', 'LR schedule', 'optimizer', [['constant', 'constant'], ['step', 'step'], ['cosine', 'cosine']]),
  stepSize: number('step', 'Step size (epochs)', 'optimizer', true, 1, 500),
  gamma: number('gamma', 'Step gamma', 'optimizer', false, 0.001, 1),
  warmupEpochs: number('warmup', 'Warm-up epochs', 'optimizer', true, 0, 100),
  cropPadding: number('crop', 'Random crop padding', 'augmentation', true, 0, 8),
  flip: flag('flip', 'Horizontal flip', 'augmentation'),
};

export const CONFIG_KEYS = Object.keys(FIELD_SPECS) as ConfigKey[];

/** What the user typed, field by field, before it is known to be valid; flags are '1' or '0'. */
export type ConfigDraft = Record<ConfigKey, string>;

export type FieldErrors = Partial<Record<ConfigKey, string>>;

export type ValidationResult = { ok: true; config: TrainConfig } | { ok: false; errors: FieldErrors };

type FieldValue = number | string | boolean;

export function encodeField(value: FieldValue): string {
  return typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
}

function parseField(key: ConfigKey, raw: string): { value: FieldValue } | { error: string } {
  const spec: FieldSpec = FIELD_SPECS[key];
  const text = raw.trim();
  switch (spec.kind) {
    case 'flag':
      if (text === '1' || text === '0') return { value: text === '1' };
      return { error: `${spec.label} must be 1 (on) or 0 (off), not "${raw}".` };
    case 'choice': {
      if (spec.options.some((option) => option.value === text)) return { value: text };
      return { error: `${spec.label} must be one of ${spec.options.map((o) => o.value).join(', ')}, not "${raw}".` };
    }
    case 'number': {
      if (text === '') return { error: `${spec.label} is required.` };
      const value = Number(text);
      if (!Number.isFinite(value)) return { error: `${spec.label} must be a number, not "${raw}".` };
      if (spec.integer && !Number.isInteger(value)) return { error: `${spec.label} must be a whole number.` };
      if (value < spec.min || value > spec.max) {
        return { error: `${spec.label} must be between ${spec.min} and ${spec.max}.` };
      }
      return { value };
    }
  }
}

/** Whether a stored value can be a field's value (stored runs and imported files are checked with it). */
export function isFieldValue(key: ConfigKey, value: unknown): boolean {
  return (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') &&
    !('error' in parseField(key, encodeField(value)));
}

/**
 * A rule between fields, written once: the form marks `field` with the problem, and a link's settings are repaired
 * by changing that field. Settings whose fields did not parse are partial; a rule judges only what it can read.
 */
interface CrossFieldRule {
  field: ConfigKey;
  problem(settings: Partial<TrainConfig>): string | null;
  repair(config: TrainConfig, defaults: TrainConfig): Partial<TrainConfig>;
}

const CROSS_FIELD_RULES: readonly CrossFieldRule[] = [
  {
    field: 'batchSize',
    problem: ({ batchSize, trainSubset }) =>
      batchSize !== undefined && trainSubset !== undefined && batchSize > trainSubset
        ? `Batch size (${batchSize}) cannot exceed the number of training images (${trainSubset}).`
        : null,
    repair: (config, defaults) => ({ batchSize: Math.min(defaults.batchSize, config.trainSubset) }),
  },
  {
    field: 'resolution',
    problem: ({ model, resolution }) =>
      model === 'paper' && resolution !== undefined && resolution < MIN_PAPER_RESOLUTION
        ? `The paper's model needs a resolution of at least ${MIN_PAPER_RESOLUTION}.`
        : null,
    repair: () => ({ resolution: MIN_PAPER_RESOLUTION }),
  },
];

/** The problems of these settings by the field each marks, as the rules between fields find them. */
export function crossFieldErrors(settings: Partial<TrainConfig>): FieldErrors {
  const errors: FieldErrors = {};
  for (const rule of CROSS_FIELD_RULES) {
    const problem = rule.problem(settings);
    if (problem !== null) errors[rule.field] = problem;
  }
  return errors;
}

/**
 * A stored or imported config (a run record, a saved model's file), or null when it is not one. Options added after
 * it was written are absent from it: such a run used their defaults, d2l's settings.
 */
export function readConfig(value: unknown): TrainConfig | null {
  if (typeof value !== 'object' || value === null) return null;
  const stored = value as Record<string, unknown>;
  const config: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const key of CONFIG_KEYS) {
    const field = stored[key];
    if (field === undefined && FIELD_SPECS[key].group !== 'run') continue;
    if (!isFieldValue(key, field)) return null;
    config[key] = field;
  }
  return config as unknown as TrainConfig;
}

export function validateDraft(draft: ConfigDraft): ValidationResult {
  const fieldErrors: FieldErrors = {};
  const values: Partial<Record<ConfigKey, FieldValue>> = {};
  for (const key of CONFIG_KEYS) {
    const parsed = parseField(key, draft[key]);
    if ('error' in parsed) fieldErrors[key] = parsed.error;
    else values[key] = parsed.value;
  }
  const settings = values as Partial<TrainConfig>;
  // A rule marks only a field it could read, so it never hides that field's own error.
  const errors = { ...fieldErrors, ...crossFieldErrors(settings) };
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, config: settings as TrainConfig };
}

/**
 * The settings form: what each field shows, and what that stands for. Settings that arrive whole and checked (a
 * link, the first visit) are taken as they are; only what the user types is parsed and checked again.
 */
export interface SettingsFormState {
  draft: ConfigDraft;
  validation: ValidationResult;
}

export const formFromConfig = (config: TrainConfig): SettingsFormState => ({
  draft: draftFromConfig(config),
  validation: { ok: true, config },
});

export const formFromDraft = (draft: ConfigDraft): SettingsFormState => ({ draft, validation: validateDraft(draft) });

/** The fields of some settings as the form holds them. */
export function draftFromSettings(settings: Partial<TrainConfig>): Partial<ConfigDraft> {
  return Object.fromEntries(Object.entries(settings).map(([key, value]) => [key, encodeField(value)]));
}

export function draftFromConfig(config: TrainConfig): ConfigDraft {
  const draft = {} as ConfigDraft;
  for (const key of CONFIG_KEYS) draft[key] = encodeField(config[key]);
  return draft;
}

export interface UrlSettings {
  config: TrainConfig;
  autostart: boolean;
  /** Whether the link names any setting; a link that names none gets the first-visit settings instead of `defaults`. */
  hasSettings: boolean;
  /** One message per query parameter that was present but unusable and so replaced by its default. */
  warnings: string[];
}

/** Reads settings from a query string; unusable values are reported and fall back to the defaults. */
export function configFromQuery(search: string, defaults: TrainConfig = DEFAULT_CONFIG): UrlSettings {
  const params = new URLSearchParams(search);
  const config: TrainConfig = { ...defaults };
  const warnings: string[] = [];
  let hasSettings = false;
  for (const key of CONFIG_KEYS) {
    const raw = params.get(FIELD_SPECS[key].query);
    if (raw === null) continue;
    hasSettings = true;
    const parsed = parseField(key, raw);
    if ('error' in parsed) {
      warnings.push(`Link parameter ${FIELD_SPECS[key].query}=${raw}: ${parsed.error} Using ${encodeField(defaults[key])}.`);
    } else {
      (config as unknown as Record<ConfigKey, FieldValue>)[key] = parsed.value;
    }
  }
  for (const rule of CROSS_FIELD_RULES) {
    const problem = rule.problem(config);
    if (problem === null) continue;
    Object.assign(config, rule.repair(config, defaults));
    warnings.push(`Link settings: ${problem} Using ${FIELD_SPECS[rule.field].query}=${encodeField(config[rule.field])}.`);
  }
  return { config, autostart: params.get('autostart') === '1', hasSettings, warnings };
}

export function queryFromConfig(config: TrainConfig, autostart = false): string {
  const params = new URLSearchParams();
  for (const key of CONFIG_KEYS) {
    // Options left at their default stay out of the link, so links made before they existed read the same.
    if (FIELD_SPECS[key].group !== 'run' && config[key] === DEFAULT_CONFIG[key]) continue;
    params.set(FIELD_SPECS[key].query, encodeField(config[key]));
  }
  if (autostart) params.set('autostart', '1');
  return params.toString();
}

const OPTION_TAGS: { [K in ConfigKey]?: (config: TrainConfig) => string | null } = {
  model: (c) => (c.model === 'paper' ? 'paper model' : null),
  auxHeads: (c) => (c.auxHeads ? 'aux' : null),
  dropout: (c) => (c.dropout ? 'dropout' : null),
  batchNorm: (c) => (c.batchNorm ? 'BN' : null),
  bnStats: (c) => (c.batchNorm && c.bnStats === 'recompute' ? 'BN stats recomputed' : null),
  activation: (c) => (c.activation === 'relu' ? null : c.activation),
  factorize5x5: (c) => (c.factorize5x5 ? '3×3+3×3' : null),
  poolBranch: (c) => (c.poolBranch === 'max' ? null : 'avg pool'),
  init: (c) => (c.init === 'xavier' ? null : 'kaiming'),
  optimizer: (c) => (c.optimizer === 'sgd' ? null : c.optimizer),
  weightDecay: (c) => (c.weightDecay === 0 ? null : `wd ${c.weightDecay}`),
  schedule: (c) =>
    c.schedule === 'constant' ? null : c.schedule === 'step' ? `step ${c.stepSize}×${c.gamma}` : 'cosine',
  warmupEpochs: (c) => (c.warmupEpochs === 0 ? null : `warm-up ${c.warmupEpochs}`),
  cropPadding: (c) => (c.cropPadding === 0 ? null : `crop ±${c.cropPadding}`),
  flip: (c) => (c.flip ? 'flip' : null),
};

/** A run's legend: batch and learning rate, then every option that departs from d2l's setting. */
export function describeConfig(config: TrainConfig): string {
  const tags = CONFIG_KEYS.map((key) => OPTION_TAGS[key]?.(config) ?? null).filter((tag) => tag !== null);
  return [`bs ${config.batchSize}`, `lr ${config.learningRate}`, ...tags].join(' · ');
}
