import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';

test('says plainly when WebGPU has no adapter, and trains on the backend the user picks', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open({ bs: 16, lr: 0.05, epochs: 1, train: 32, test: 16, res: 16, width: 0.0625 });
  const alert = page.getByRole('alert').filter({ hasText: 'WebGPU is unavailable.' });
  await expect(alert).toContainText('no GPU adapter is available');
  await expect(app.trainButton).toBeDisabled();
  await expect(page.locator('#train-why')).toContainText('unavailable until the backend and the data load');

  await alert.getByRole('button', { name: 'Use CPU' }).click();
  await expect(page.getByTestId('active-backend')).toHaveText('CPU', { timeout: 60_000 });
  await expect(page.getByText('not WebGPU: expect training to be far slower')).toBeVisible();
  await expect(page.getByTestId('data-ready')).toBeVisible({ timeout: 120_000 });
  await app.trainButton.click();
  const run = app.latestRun();
  await expect(run).toHaveAttribute('data-backend', 'cpu');
  await expect(run).toHaveAttribute('data-status', 'done', { timeout: 180_000 });
  await expect(run).toHaveAttribute('data-epochs-done', '1');
});
