import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseExportedRuns } from './runExchange';

/** Written by train.py after a two-process torchrun run (scripts/pytorch/check_export.py --write-fixtures). */
const METRICS = new URL('../../scripts/pytorch/fixtures/metrics.json', import.meta.url);

/** The PyTorch side commits these; without them the exchange is unproven, so their absence fails, saying how to make them. */
function fixture(url: URL): Buffer {
  if (!existsSync(url)) throw new Error(`${url.pathname} is missing: /usr/bin/python3 scripts/pytorch/check_export.py --write-fixtures writes it.`);
  return readFileSync(url);
}

describe("train.py's metrics.json", () => {
  it('imports as a finished PyTorch run, one report per epoch of its config', () => {
    const result = parseExportedRuns(fixture(METRICS).toString('utf8'));
    if (!result.ok) throw new Error(result.message);
    expect(result.runs).toHaveLength(1);
    const [run] = result.runs;
    expect(run!.backend).toBe('pytorch');
    expect(run!.status).toBe('done');
    const { epochs, trainSubset } = run!.config;
    expect(run!.epochs.map((e) => e.epoch)).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
    expect(run!.epochs.at(-1)!.examplesSeen).toBe(epochs * trainSubset);
    for (const report of run!.epochs) {
      expect(Number.isFinite(report.trainLoss), `epoch ${report.epoch} loss`).toBe(true);
      for (const accuracy of [report.trainAccuracy, report.testAccuracy]) {
        expect(accuracy).toBeGreaterThanOrEqual(0);
        expect(accuracy).toBeLessThanOrEqual(1);
      }
    }
  });
});
