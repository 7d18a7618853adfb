import { type Download, expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';
import { writeImageFolder } from './imageFolder';
import { chooseImage, drawTrouser, expectSamePrediction, topClasses } from './drawing';

test('save a model, reload, download and load it back: the same predictions; then fine-tune it with b1–b3 frozen', async ({ page }, testInfo) => {
  const app = new PlaygroundPage(page);
  await app.open({ bs: 8, lr: 0.05, epochs: 1, train: 32, test: 16, res: 16, width: 0.0625, seed: 9 }, true);
  await app.expectWebGpuReady();
  await expect(app.latestRun()).toHaveAttribute('data-status', 'done', { timeout: 240_000 });

  await app.show('Predict & models');
  const models = page.getByRole('region', { name: 'Models' });
  await models.getByRole('button', { name: /Save the run on the charts/ }).click();
  await expect(models.getByTestId('saved-model')).toHaveCount(1);
  const predictWith = page.getByLabel('Model to predict with');
  await predictWith.selectOption({ label: 'saved: bs 8 · lr 0.05' });
  await drawTrouser(page);
  const drawn = await topClasses(page);
  expect(drawn.reduce((sum, c) => sum + c.probability, 0)).toBeLessThanOrEqual(1 + 1e-6);
  await chooseImage(page);
  const before = await topClasses(page);

  await page.reload();
  await app.expectWebGpuReady();
  await app.show('Predict & models');
  await expect(models.getByTestId('saved-model')).toHaveCount(1);
  await predictWith.selectOption({ label: 'saved: bs 8 · lr 0.05' });
  await chooseImage(page);
  expectSamePrediction(await topClasses(page), before);

  // Download the one zip, remove the model, load the zip back.
  const downloads: Download[] = [];
  page.on('download', (download) => downloads.push(download));
  await models.getByRole('button', { name: 'download tfjs' }).click();
  await expect.poll(() => downloads.length).toBe(1);
  const files = await Promise.all(
    downloads.map(async (download) => {
      const path = testInfo.outputPath(download.suggestedFilename());
      await download.saveAs(path);
      return path;
    }),
  );
  expect(files.map((f) => f.split('/').pop())).toEqual(['bs-8-lr-0.05.zip']);
  page.once('dialog', (dialog) => void dialog.accept());
  await models.getByRole('button', { name: 'remove' }).click();
  await expect(models.getByTestId('saved-model')).toHaveCount(0);
  await models.getByLabel(/Load a model/).setInputFiles(files);
  await expect(models.getByTestId('saved-model')).toHaveCount(1);
  await predictWith.selectOption({ label: 'saved: bs 8 · lr 0.05' });
  await chooseImage(page);
  expectSamePrediction(await topClasses(page), before);

  // Fine-tune on a folder of three classes, keeping b1–b3 as they were: both choices sit folded in the settings.
  await app.unfold('Dataset');
  const dataset = page.getByRole('region', { name: 'Dataset' });
  await dataset.getByLabel('Import a folder…').setInputFiles(writeImageFolder(['circle', 'square', 'stripes'], 6));
  await expect(dataset.getByTestId('dataset-class')).toHaveCount(3, { timeout: 60_000 });
  await app.unfold('Start from');
  await page.getByLabel('Start the next run from').selectOption({ label: 'bs 8 · lr 0.05 (fine-tune)' });
  await page.getByLabel('Freeze').selectOption('b3');
  await app.field('Batch size').fill('4');
  await app.trainButton.click();
  await expect(app.runRows).toHaveCount(2);
  await expect(app.latestRun()).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  const note = app.latestRun().getByTestId('transfer-note');
  await expect(note).toContainText('fine-tuned from bs 8 · lr 0.05, b1–b3 frozen');
  await expect(note).toHaveAttribute('data-frozen-max-change', '0');
  expect(Number(await note.getAttribute('data-head-max-change'))).toBeGreaterThan(0);
  await app.show('What the model learned');
  await expect(page.getByRole('region', { name: 'What the model learned' }).getByTestId('confusion-row')).toHaveCount(3);
});

test('a file that is not a saved model is refused with a message, and nothing is added', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open({ bs: 8, lr: 0.05, epochs: 1, train: 16, test: 8, res: 16, width: 0.0625, seed: 9 });
  await app.expectWebGpuReady();
  await app.show('Predict & models');
  const models = page.getByRole('region', { name: 'Models' });
  await models.getByLabel(/Load a model/).setInputFiles([
    { name: 'model.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": "world", "weightsManifest": []}') },
    { name: 'model.weights.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(16) },
  ]);
  await expect(models.getByTestId('models-status')).toHaveText(/not saved by GoogLeNet Playground/);
  await expect(models.getByTestId('saved-model')).toHaveCount(0);
});
