import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';
import { writeImageFolder } from './imageFolder';

test('an imported image folder is listed with its classes and trains on WebGPU', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open({ bs: 4, lr: 0.05, epochs: 2, train: 1000, test: 1000, res: 16, width: 0.0625, seed: 2 });
  await app.expectWebGpuReady();
  await app.unfold('Dataset');
  const panel = page.getByRole('region', { name: 'Dataset' });
  await panel.getByLabel('Import a folder…').setInputFiles(writeImageFolder(['circle', 'square', 'stripes'], 6));
  await expect(panel.getByTestId('dataset-class')).toHaveCount(3, { timeout: 60_000 });
  await expect(panel.getByLabel('Train on')).toHaveValue(/^dataset-/);
  // No val/ folder: a fifth of each class of six (one image) is held out.
  await expect(panel.getByTestId('dataset-info')).toContainText('15 training and 3 validation images, 64×64 RGB');
  await expect(panel.getByTestId('dataset-skipped')).toContainText('1 files skipped');
  await panel.getByTestId('dataset-skipped').locator('summary').click();
  await expect(panel.getByTestId('dataset-skipped')).toContainText('readme.txt: not an image');
  await expect(panel.getByRole('img', { name: 'an image of circle' })).toBeVisible();

  await app.trainButton.click();
  await expect(app.latestRun()).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await expect(app.latestRun()).toHaveAttribute('data-backend', 'webgpu');
  await expect(app.latestRun()).toContainText('on shapes');
  const evaluation = page.getByRole('region', { name: 'What the model learned' });
  await expect(evaluation.getByTestId('confusion-row')).toHaveCount(3);
  await expect(evaluation.getByTestId('confusion-row').first()).toContainText('circle');

  // Stored: a reload lists the dataset again.
  await page.reload();
  await app.expectWebGpuReady();
  await app.unfold('Dataset');
  await expect(panel.getByLabel('Train on').locator('option')).toHaveText([/Fashion-MNIST/, 'shapes (3 classes)']);
});

test('a folder with a single class is refused with the reason, and nothing is added', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open({ bs: 4, lr: 0.05, epochs: 1, train: 100, test: 100, res: 16, width: 0.0625, seed: 2 });
  await app.expectWebGpuReady();
  await app.unfold('Dataset');
  const panel = page.getByRole('region', { name: 'Dataset' });
  await panel.getByLabel('Import a folder…').setInputFiles(writeImageFolder(['circle'], 4, 'lonely'));
  await expect(panel.getByTestId('dataset-error')).toHaveText('Only one class ("circle") was found: a classifier needs at least two.');
  await expect(panel.getByLabel('Train on').locator('option')).toHaveCount(1);
});
