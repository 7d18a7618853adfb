import { expect, test } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { PlaygroundPage } from './app';

const TINY = { bs: 8, lr: 0.05, epochs: 2, train: 16, test: 8, res: 16, width: 0.0625, seed: 5 };

const rowFigures = (row: import('@playwright/test').Locator) =>
  row.evaluate((el) => {
    const { status, epochsDone, trainLoss, testAcc, examplesPerSec } = (el as HTMLElement).dataset;
    return { status, epochsDone, trainLoss, testAcc, examplesPerSec };
  });

test('run history survives a reload, and export → delete → import gives identical figures back', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open(TINY, true);
  await app.expectWebGpuReady();
  const row = app.latestRun();
  await expect(row).toHaveAttribute('data-status', 'done', { timeout: 180_000 });
  await app.show('Runs');
  await row.getByRole('button', { name: /^Rename/ }).click();
  await page.getByLabel('Run name').fill('tiny baseline');
  await page.getByLabel('Run name').press('Enter');
  const original = await rowFigures(row);

  await page.reload();
  await expect(page).not.toHaveURL(/autostart/);
  await app.expectWebGpuReady();
  await expect(app.runRows).toHaveCount(1);
  await expect(app.latestRun()).toContainText('tiny baseline');
  expect(await rowFigures(app.latestRun())).toEqual(original);

  await app.show('Runs');
  const downloading = page.waitForEvent('download');
  await app.latestRun().getByRole('button', { name: 'export' }).click();
  const exported = await (await downloading).path();

  page.once('dialog', (dialog) => void dialog.accept());
  await app.latestRun().getByRole('button', { name: /^Delete/ }).click();
  await expect(app.runRows).toHaveCount(0);
  await page.reload();
  await app.show('Runs');
  await expect(page.getByText('No runs yet.')).toBeVisible();

  await page.getByLabel(/Import runs/).setInputFiles(exported);
  await expect(app.runRows).toHaveCount(1);
  await expect(app.latestRun()).toContainText('tiny baseline');
  expect(await rowFigures(app.latestRun())).toEqual(original);
  expect(JSON.parse(await readFile(exported, 'utf8')).runs[0].epochs).toHaveLength(2);
});

test('importing a corrupt file shows an error and leaves the history unchanged', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open(TINY, true);
  await app.expectWebGpuReady();
  await expect(app.latestRun()).toHaveAttribute('data-status', 'done', { timeout: 180_000 });
  const before = await rowFigures(app.latestRun());

  await app.show('Runs');
  await page.getByLabel(/Import runs/).setInputFiles({
    name: 'runs.json',
    mimeType: 'application/json',
    buffer: Buffer.from('{"format": "googlenet-playground-runs", "runs": [{"id": 7}]}'),
  });
  await expect(page.getByTestId('import-error')).toHaveText('Run 1 in this file is damaged or incomplete; nothing was imported.');
  await page.getByLabel(/Import runs/).setInputFiles({ name: 'photo.json', mimeType: 'application/json', buffer: Buffer.from('\u0089PNG') });
  await expect(page.getByTestId('import-error')).toContainText('not JSON');
  await expect(app.runRows).toHaveCount(1);
  expect(await rowFigures(app.latestRun())).toEqual(before);
});

test('a run interrupted by a reload resumes from its last finished epoch, with one entry per epoch', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open({ ...TINY, epochs: 6, train: 32 }, true);
  await app.expectWebGpuReady();
  const row = app.latestRun();
  await expect(row).toHaveAttribute('data-epochs-done', /^[1-4]$/, { timeout: 180_000 });
  await page.reload();
  await expect(app.latestRun()).toHaveAttribute('data-status', 'interrupted');
  const kept = Number(await app.latestRun().getAttribute('data-epochs-done'));
  expect(kept).toBeGreaterThanOrEqual(1);

  await app.expectWebGpuReady();
  await app.show('Runs');
  await app.latestRun().getByRole('button', { name: 'resume' }).click();
  await expect(app.latestRun()).toHaveAttribute('data-status', 'running');
  await expect(app.latestRun()).toHaveAttribute('data-status', 'done', { timeout: 180_000 });
  await expect(app.latestRun()).toHaveAttribute('data-epoch-numbers', '1,2,3,4,5,6');
  await expect(app.runRows).toHaveCount(1);
});
