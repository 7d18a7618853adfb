import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';

test('refuses bad settings beside the field and says why Train is disabled', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open({ bs: 16, train: 64, test: 32, res: 32, width: 0.125, epochs: 1 });
  await app.expectWebGpuReady();
  await expect(app.trainButton).toBeEnabled();

  const batch = app.field('Batch size');
  await batch.fill('0');
  await expect(page.locator('#field-batchSize-note')).toHaveText('Batch size must be between 1 and 4096.');
  await expect(batch).toHaveAttribute('aria-invalid', 'true');
  await expect(app.trainButton).toBeDisabled();
  await expect(page.locator('#train-why')).toHaveText('Fix the highlighted settings first.');

  await batch.fill('128');
  await expect(page.locator('#field-batchSize-note')).toContainText('cannot exceed the number of training images (64)');
  await app.field('Learning rate').fill('fast');
  await expect(page.locator('#field-learningRate-note')).toHaveText('Learning rate must be a number, not "fast".');

  await batch.fill('16');
  await app.field('Learning rate').fill('0.05');
  await expect(app.trainButton).toBeEnabled();
  await expect(app.runRows).toHaveCount(0);
});

test('reports bad link parameters and falls back to the defaults', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await page.goto('/?bs=-5&lr=0.02&res=huge');
  await expect(page.getByTestId('url-warnings')).toContainText('bs=-5: Batch size must be between 1 and 4096. Using 64.');
  await expect(page.getByTestId('url-warnings')).toContainText('res=huge');
  await expect(app.field('Batch size')).toHaveValue('64');
  await expect(app.field('Learning rate')).toHaveValue('0.02');
  await expect(app.field('Resolution')).toHaveValue('96');
});

test('stops a run within a batch and can start another', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open({ bs: 8, lr: 0.05, epochs: 50, train: 400, test: 16, res: 32, width: 0.0625, seed: 2 }, true);
  await app.expectWebGpuReady();
  const run = app.latestRun();
  await expect(page.getByTestId('run-progress')).toContainText('batch', { timeout: 120_000 });
  await app.stopButton.click();
  await expect(run).toHaveAttribute('data-status', 'stopped', { timeout: 30_000 });
  await expect(run).toHaveAttribute('data-epochs-done', '0');
  await expect(app.trainButton).toBeEnabled();
});

test('summarises the network the settings build', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open({ res: 96, width: 1, bs: 64 });
  await app.expectWebGpuReady();
  const summary = page.getByTestId('model-summary');
  await expect(summary.getByTestId('total-params')).toHaveText('5,977,530', { timeout: 60_000 });
  await expect(summary).toContainText('0.276 G multiply-accumulates per image');
  await summary.getByText('GoogLeNet', { exact: true }).click();
  await expect(summary.getByRole('row', { name: /inception_4e/ })).toContainText('832 × 6 × 6');
  await app.field('Width multiplier').fill('0.25');
  await expect(summary.getByTestId('total-params')).not.toHaveText('5,977,530');
});
