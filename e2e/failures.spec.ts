import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';

test('a diverging run fails with a clear message, keeps its row, and a new run can start', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open({ bs: 16, lr: 1000, epochs: 2, train: 64, test: 16, res: 16, width: 0.0625, seed: 1 }, true);
  await app.expectWebGpuReady();
  const failed = app.runRows.first();
  await expect(failed).toHaveAttribute('data-status', 'failed', { timeout: 180_000 });
  await expect(failed).toContainText(/Loss became (NaN|infinite) at epoch 1, batch \d+ — try a smaller learning rate\./);

  await app.field('Learning rate').fill('0.05');
  await expect(app.trainButton).toBeEnabled({ timeout: 120_000 });
  await app.trainButton.click();
  await expect(app.runRows).toHaveCount(2);
  await expect(app.runRows.first()).toHaveAttribute('data-status', 'done', { timeout: 180_000 });
  await expect(app.runRows.nth(1)).toHaveAttribute('data-status', 'failed');
});
