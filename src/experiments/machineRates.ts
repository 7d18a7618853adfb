import type { BackendName } from '../domain/backend';
import type { Calibration, PricedNetwork } from '../domain/machineRates';

/** localStorage's key: the calibrations of every backend and adapter this browser has measured. */
export const MACHINE_RATES_KEY = 'googlenet-playground:machine-rates';

/** One backend on one adapter (for wasm, its thread count), as the page names it. */
export interface Machine {
  backend: BackendName;
  adapter: string;
}

export interface MachineRates extends Machine {
  calibration: Calibration;
}

export const machineKey = ({ backend, adapter }: Machine): string => `${backend}|${adapter}`;

const PRICED: readonly PricedNetwork[] = ['quick', 'classroom', 'reduced', 'faithful'];
const BACKENDS: readonly BackendName[] = ['webgpu', 'wasm', 'webgl', 'cpu'];

const positive = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0;
const nonNegative = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;

function isCalibration(value: unknown): value is Calibration {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Partial<Calibration>;
  return (
    positive(c.macsPerExample) &&
    nonNegative(c.step?.fixedSeconds) &&
    positive(c.step?.secondsPerExample) &&
    nonNegative(c.forward?.fixedSeconds) &&
    positive(c.forward?.secondsPerExample) &&
    nonNegative(c.warmupSeconds) &&
    nonNegative(c.seconds) &&
    typeof c.networkMacs === 'object' &&
    c.networkMacs !== null &&
    PRICED.every((network) => positive(c.networkMacs![network]))
  );
}

function isMachineRates(value: unknown): value is MachineRates {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Partial<MachineRates>;
  return BACKENDS.includes(entry.backend as BackendName) && typeof entry.adapter === 'string' && isCalibration(entry.calibration);
}

/** The stored calibrations by machineKey; whatever is malformed (an older format, an edit by hand) is left out. */
export function parseMachineRates(text: string | null): Record<string, MachineRates> {
  if (text === null) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  return Object.fromEntries(Object.entries(parsed).filter(([key, entry]) => isMachineRates(entry) && machineKey(entry) === key));
}

type RatesStorage = Pick<Storage, 'getItem' | 'setItem'>;

/**
 * The page's localStorage, or null where there is none to use: Chromium throws a SecurityError from the
 * `localStorage` getter itself when the user blocks site data, before any call could be guarded.
 */
export function pageStorage(scope: { readonly localStorage: Storage } = globalThis as unknown as Window): RatesStorage | null {
  try {
    return scope.localStorage ?? null;
  } catch {
    return null;
  }
}

/** The stored calibrations of this browser; none where storage is unavailable. */
export function readMachineRates(storage: Pick<Storage, 'getItem'> | null): Record<string, MachineRates> {
  if (storage === null) return {};
  try {
    return parseMachineRates(storage.getItem(MACHINE_RATES_KEY));
  } catch {
    return {};
  }
}

/** Stores one machine's calibration beside the others; a full or refused storage only loses the cache. */
export function writeMachineRates(storage: RatesStorage | null, rates: MachineRates): Record<string, MachineRates> {
  const all = { ...readMachineRates(storage), [machineKey(rates)]: rates };
  if (storage === null) return all;
  try {
    storage.setItem(MACHINE_RATES_KEY, JSON.stringify(all));
  } catch {
    // Private browsing or a full quota: the estimates still show for this page's life.
  }
  return all;
}
