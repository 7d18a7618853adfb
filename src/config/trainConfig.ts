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
}

export type ConfigKey = keyof TrainConfig;

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
};

/**
 * Smallest input the network accepts: five stride-2 reductions (conv, four pools) must leave at least one pixel.
 * The upper bound keeps one activation tensor under WebGPU's default storage-buffer binding limit for small batches.
 */
export const MIN_RESOLUTION = 16;
export const MAX_RESOLUTION = 224;

interface FieldSpec {
  /** URL query parameter name. */
  query: string;
  label: string;
  integer: boolean;
  min: number;
  max: number;
}

export const FIELD_SPECS: Record<ConfigKey, FieldSpec> = {
  batchSize: { query: 'bs', label: 'Batch size', integer: true, min: 1, max: 4096 },
  learningRate: { query: 'lr', label: 'Learning rate', integer: false, min: 1e-6, max: 100 },
  epochs: { query: 'epochs', label: 'Epochs', integer: true, min: 1, max: 500 },
  trainSubset: { query: 'train', label: 'Training images', integer: true, min: 1, max: FASHION_MNIST_TRAIN_SIZE },
  testSubset: { query: 'test', label: 'Test images', integer: true, min: 1, max: FASHION_MNIST_TEST_SIZE },
  resolution: { query: 'res', label: 'Resolution', integer: true, min: MIN_RESOLUTION, max: MAX_RESOLUTION },
  width: { query: 'width', label: 'Width multiplier', integer: false, min: 0.01, max: 4 },
  seed: { query: 'seed', label: 'Seed', integer: true, min: 0, max: 2 ** 31 - 1 },
};

export const CONFIG_KEYS = Object.keys(FIELD_SPECS) as ConfigKey[];

/** What the user typed, field by field, before it is known to be valid. */
export type ConfigDraft = Record<ConfigKey, string>;

export type FieldErrors = Partial<Record<ConfigKey, string>>;

export type ValidationResult = { ok: true; config: TrainConfig } | { ok: false; errors: FieldErrors };

function parseField(key: ConfigKey, raw: string): { value: number } | { error: string } {
  const spec = FIELD_SPECS[key];
  const text = raw.trim();
  if (text === '') return { error: `${spec.label} is required.` };
  const value = Number(text);
  if (!Number.isFinite(value)) return { error: `${spec.label} must be a number, not "${raw}".` };
  if (spec.integer && !Number.isInteger(value)) return { error: `${spec.label} must be a whole number.` };
  if (value < spec.min || value > spec.max) {
    return { error: `${spec.label} must be between ${spec.min} and ${spec.max}.` };
  }
  return { value };
}

export function validateDraft(draft: ConfigDraft): ValidationResult {
  const errors: FieldErrors = {};
  const values: Partial<TrainConfig> = {};
  for (const key of CONFIG_KEYS) {
    const parsed = parseField(key, draft[key]);
    if ('error' in parsed) errors[key] = parsed.error;
    else values[key] = parsed.value;
  }
  if (values.batchSize !== undefined && values.trainSubset !== undefined && values.batchSize > values.trainSubset) {
    errors.batchSize = `Batch size (${values.batchSize}) cannot exceed the number of training images (${values.trainSubset}).`;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, config: values as TrainConfig };
}

export function draftFromConfig(config: TrainConfig): ConfigDraft {
  const draft = {} as ConfigDraft;
  for (const key of CONFIG_KEYS) draft[key] = String(config[key]);
  return draft;
}

export interface UrlSettings {
  config: TrainConfig;
  autostart: boolean;
  /** One message per query parameter that was present but unusable and so replaced by its default. */
  warnings: string[];
}

/** Reads settings from a query string; unusable values are reported and fall back to the defaults. */
export function configFromQuery(search: string, defaults: TrainConfig = DEFAULT_CONFIG): UrlSettings {
  const params = new URLSearchParams(search);
  const config: TrainConfig = { ...defaults };
  const warnings: string[] = [];
  for (const key of CONFIG_KEYS) {
    const raw = params.get(FIELD_SPECS[key].query);
    if (raw === null) continue;
    const parsed = parseField(key, raw);
    if ('error' in parsed) {
      warnings.push(`Link parameter ${FIELD_SPECS[key].query}=${raw}: ${parsed.error} Using ${defaults[key]}.`);
    } else {
      config[key] = parsed.value;
    }
  }
  if (config.batchSize > config.trainSubset) {
    warnings.push(
      `Link asks for batch size ${config.batchSize} with only ${config.trainSubset} training images; ` +
        `using batch size ${Math.min(defaults.batchSize, config.trainSubset)}.`,
    );
    config.batchSize = Math.min(defaults.batchSize, config.trainSubset);
  }
  return { config, autostart: params.get('autostart') === '1', warnings };
}

export function queryFromConfig(config: TrainConfig, autostart = false): string {
  const params = new URLSearchParams();
  for (const key of CONFIG_KEYS) params.set(FIELD_SPECS[key].query, String(config[key]));
  if (autostart) params.set('autostart', '1');
  return params.toString();
}

export function describeConfig(config: TrainConfig): string {
  return `bs ${config.batchSize} · lr ${config.learningRate}`;
}
