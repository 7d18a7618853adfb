import { expect, it } from 'vitest';
import type { Calibration } from '../domain/machineRates';
import { MACHINE_RATES_KEY, type MachineRates, machineKey, pageStorage, parseMachineRates, readMachineRates, writeMachineRates } from './machineRates';

const CALIBRATION: Calibration = {
  macsPerExample: 1e6,
  step: { fixedSeconds: 0.1, secondsPerExample: 0.01 },
  forward: { fixedSeconds: 0.05, secondsPerExample: 0.004 },
  warmupSeconds: 5,
  networkMacs: { quick: 1e6, classroom: 1e6, reduced: 1e7, faithful: 1e8 },
  seconds: 20,
};
const WASM: MachineRates = { backend: 'wasm', adapter: 'XNNPACK · SIMD · 1 thread', calibration: CALIBRATION };
const SWIFTSHADER: MachineRates = { backend: 'webgpu', adapter: 'google · swiftshader', calibration: { ...CALIBRATION, seconds: 25 } };

class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

it('keeps one calibration per backend and adapter, and reads back what it wrote', () => {
  const storage = new MemoryStorage();
  writeMachineRates(storage, WASM);
  const all = writeMachineRates(storage, SWIFTSHADER);
  expect(Object.keys(all).sort()).toEqual([machineKey(SWIFTSHADER), machineKey(WASM)].sort());
  expect(readMachineRates(storage)).toEqual(all);
  // A refined calibration replaces the machine's own, not another's.
  const refined = writeMachineRates(storage, { ...WASM, calibration: { ...CALIBRATION, warmupSeconds: 2 } });
  expect(refined[machineKey(WASM)]!.calibration.warmupSeconds).toBe(2);
  expect(refined[machineKey(SWIFTSHADER)]).toEqual(SWIFTSHADER);
});

it('leaves out what is malformed, and reads nothing from broken or missing storage', () => {
  const zeroRate = { ...WASM, adapter: 'other', calibration: { ...CALIBRATION, step: { fixedSeconds: 0, secondsPerExample: 0 } } };
  const misfiled = { ...SWIFTSHADER };
  const text = JSON.stringify({ [machineKey(WASM)]: WASM, [machineKey(zeroRate)]: zeroRate, 'webgpu|elsewhere': misfiled, x: 3 });
  expect(parseMachineRates(text)).toEqual({ [machineKey(WASM)]: WASM });
  expect(parseMachineRates('{')).toEqual({});
  expect(parseMachineRates(null)).toEqual({});
  expect(readMachineRates({ getItem: () => { throw new Error('denied'); } })).toEqual({});
  const full = { getItem: () => null, setItem: () => { throw new Error('quota'); } };
  expect(writeMachineRates(full, WASM)).toEqual({ [machineKey(WASM)]: WASM });
  expect(MACHINE_RATES_KEY).toMatch(/machine-rates/);
});

it('keeps the estimates for the page\'s life where the browser refuses localStorage altogether', () => {
  const blocked = Object.defineProperty({}, 'localStorage', {
    get: () => {
      throw new DOMException('Access is denied for this document.', 'SecurityError');
    },
  }) as { readonly localStorage: Storage };
  const storage = pageStorage(blocked);
  expect(storage).toBeNull();
  expect(readMachineRates(storage)).toEqual({});
  expect(writeMachineRates(storage, WASM)).toEqual({ [machineKey(WASM)]: WASM });
  const available = new MemoryStorage();
  expect(pageStorage({ localStorage: available as unknown as Storage })).toBe(available);
});
