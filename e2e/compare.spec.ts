import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';

test('overlays selected runs with a legend per run, and switches the x-axis', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open({ bs: 8, lr: 0.05, epochs: 2, train: 16, test: 8, res: 16, width: 0.0625, seed: 6 }, true);
  await app.expectWebGpuReady();
  await expect(app.latestRun()).toHaveAttribute('data-status', 'done', { timeout: 180_000 });
  await app.field('Batch size').fill('4');
  await app.trainButton.click();
  await expect(app.runRows).toHaveCount(2);
  await expect(app.latestRun()).toHaveAttribute('data-status', 'done', { timeout: 180_000 });

  // The runs table sits under the curves: ticking a run there overlays it above.
  await app.show('Runs');
  await page.getByRole('checkbox', { name: 'Compare bs 8 · lr 0.05' }).check();
  await page.getByRole('checkbox', { name: 'Compare bs 4 · lr 0.05' }).check();
  const lossChart = page.getByTestId('loss-chart');
  await expect(page.getByRole('heading', { name: /2 runs compared/ })).toBeVisible();
  // Recharts sorts legend entries by name.
  await expect(lossChart.locator('.recharts-legend-item')).toHaveText(['bs 4 · lr 0.05', 'bs 8 · lr 0.05']);
  await expect(page.getByTestId('accuracy-chart').locator('.recharts-legend-item')).toHaveCount(2);

  await page.getByLabel('x-axis').selectOption('step');
  await expect(lossChart.locator('.recharts-label')).toHaveText('update step');
  // Same epochs, twice the updates at half the batch: the second run's curve ends at step 8, the first at 4.
  const tick = (text: string) => lossChart.locator('.recharts-cartesian-axis-tick-value', { hasText: new RegExp(`^${text}$`) });
  await expect(tick('8')).toHaveCount(1);
  await page.getByLabel('x-axis').selectOption('epoch');
  await expect(tick('8')).toHaveCount(0);
});
