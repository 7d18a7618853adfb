import { CONFIG_KEYS, encodeField } from '../config/trainConfig';
import type { RunRecord } from '../domain/run';
import { RUN_RECORD_VERSION, migrateRun } from './runMigration';

/** Runs as files: the JSON export this playground reads back, and a CSV for spreadsheets. */
const EXPORT_FORMAT = 'googlenet-playground-runs';

export function exportRuns(runs: RunRecord[]): string {
  return JSON.stringify({ format: EXPORT_FORMAT, version: RUN_RECORD_VERSION, runs }, null, 1);
}

export type ImportResult = { ok: true; runs: RunRecord[] } | { ok: false; message: string };

/** Reads an exported file; anything malformed or foreign is refused whole, so nothing half-imports. */
export function parseExportedRuns(text: string): ImportResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, message: 'This file is not JSON, so it is not a run export of this playground.' };
  }
  const file: Record<string, unknown> = typeof parsed === 'object' && parsed !== null ? { ...parsed } : {};
  if (file.format !== EXPORT_FORMAT || !Array.isArray(file.runs)) {
    return { ok: false, message: `This JSON file is not a run export of this playground (no "format": "${EXPORT_FORMAT}").` };
  }
  const runs = file.runs.map(migrateRun);
  const bad = runs.findIndex((run) => run === null);
  if (bad >= 0) return { ok: false, message: `Run ${bad + 1} in this file is damaged or incomplete; nothing was imported.` };
  return { ok: true, runs: runs as RunRecord[] };
}

const CSV_COLUMNS = ['name', 'status', 'backend', 'epochs_done', ...CONFIG_KEYS, 'train_loss', 'train_acc', 'test_acc', 'examples_per_sec'];

/** One row per run with its settings and latest epoch. */
export function runsToCsv(runs: RunRecord[]): string {
  const quote = (value: string | number) => (typeof value === 'number' ? String(value) : `"${value.replaceAll('"', '""')}"`);
  const rows = runs.map((run) => {
    const last = run.epochs[run.epochs.length - 1];
    return [
      quote(run.name),
      quote(run.status),
      quote(run.backend),
      run.epochs.length,
      ...CONFIG_KEYS.map((key) => encodeField(run.config[key])),
      last?.trainLoss ?? '',
      last?.trainAccuracy ?? '',
      last?.testAccuracy ?? '',
      last?.examplesPerSecond ?? '',
    ].join(',');
  });
  return [CSV_COLUMNS.join(','), ...rows].join('\n') + '\n';
}
