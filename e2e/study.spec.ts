import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { D2L_STUDY } from '../src/experiments/presets';
import { parseReferenceFile } from '../src/experiments/reference';
import { PlaygroundPage } from './app';

const references = parseReferenceFile(
  JSON.parse(readFileSync(new URL('../public/reference/pytorch-reference.json', import.meta.url), 'utf8')),
).runs;

/** The lowest and highest final test accuracy of a preset's Classroom references over their seeds. */
function seedRange(preset: string): { low: number; high: number } {
  const finals = references
    .filter((run) => run.kind === 'study' && run.scale === 'classroom' && run.preset === preset)
    .map((run) => run.epochs[run.epochs.length - 1]!.testAccuracy);
  expect(finals.length, `Classroom references of ${preset}`).toBeGreaterThanOrEqual(3);
  return { low: Math.min(...finals), high: Math.max(...finals) };
}

/** How far a browser run may end from the PyTorch seeds' range: the app's init and data order are not PyTorch's. */
const TOLERANCE = 0.12;

test('the Classroom study queued from Reproduce d2l on wasm ends each preset within 0.12 of its PyTorch seeds, all above 0.2', async ({ page }) => {
  test.setTimeout(15 * 60_000);
  const app = new PlaygroundPage(page);
  await app.open();
  await app.expectWebGpuReady();
  await page.getByRole('button', { name: 'Use wasm (CPU, fast)' }).click();
  await expect(page.getByTestId('active-backend')).toHaveText('wasm', { timeout: 60_000 });
  await expect(page.getByTestId('data-ready')).toBeVisible({ timeout: 120_000 });

  await app.show('Reproduce d2l');
  const view = page.getByRole('region', { name: 'Reproduce d2l' });
  await expect(view.getByLabel('Study scale')).toHaveValue('classroom');
  const started = Date.now();
  await view.getByRole('button', { name: 'Queue all five' }).click();
  await app.show('Runs');
  await expect(app.runRows).toHaveCount(D2L_STUDY.length, { timeout: 12 * 60_000 });
  for (const row of await app.runRows.all()) await expect(row).toHaveAttribute('data-status', 'done', { timeout: 12 * 60_000 });
  console.log(`the Classroom study on wasm: ${Math.round((Date.now() - started) / 1000)} s`);

  await app.show('Reproduce d2l');
  for (const preset of D2L_STUDY) {
    const browser = Number(await view.locator(`[data-preset="${preset.id}"]`).getByTestId('study-browser').getByTestId('test-acc').textContent());
    const range = seedRange(preset.id);
    console.log(`${preset.id}: browser ${browser.toFixed(3)}, PyTorch seeds ${range.low.toFixed(3)}–${range.high.toFixed(3)}`);
    expect(browser, preset.id).toBeGreaterThanOrEqual(0.2);
    expect(browser, preset.id).toBeGreaterThanOrEqual(range.low - TOLERANCE);
    expect(browser, preset.id).toBeLessThanOrEqual(range.high + TOLERANCE);
  }
});
