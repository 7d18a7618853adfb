import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';
import { chooseImage, drawTrouser, expectSamePrediction, topClasses } from './drawing';

test('after training: confusion matrix, misclassified images, and predictions that survive a reload', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open({ bs: 8, lr: 0.05, epochs: 2, train: 32, test: 24, res: 16, width: 0.0625, seed: 8 }, true);
  await app.expectWebGpuReady();
  await expect(app.latestRun()).toHaveAttribute('data-status', 'done', { timeout: 240_000 });

  const evaluation = page.getByRole('region', { name: 'What the model learned' });
  await expect(evaluation.getByRole('heading', { name: /Test images after epoch 2/ })).toBeVisible();
  await expect(evaluation.getByTestId('confusion-row')).toHaveCount(10);
  const counted = await evaluation.getByTestId('confusion-row').evaluateAll((rows) =>
    rows.flatMap((row) => [...row.querySelectorAll('td')].slice(0, 10).map((td) => Number(td.textContent))),
  );
  expect(counted.reduce((a, b) => a + b, 0)).toBe(24);
  const testAccuracy = Number(await app.latestRun().getAttribute('data-test-acc'));
  const mistakes = Math.round(24 * (1 - testAccuracy));
  await expect(evaluation.getByTestId('misclassified').getByRole('img')).toHaveCount(mistakes);

  await app.show('Predict & models');
  await drawTrouser(page);
  const before = await topClasses(page);
  const total = before.reduce((sum, c) => sum + c.probability, 0);
  expect(total).toBeLessThanOrEqual(1 + 1e-6);
  expect(before[0]!.probability).toBeGreaterThanOrEqual(before[1]!.probability);
  expect(before[1]!.probability).toBeGreaterThanOrEqual(before[2]!.probability);

  await chooseImage(page);
  const chosen = await topClasses(page);
  await page.reload();
  await app.expectWebGpuReady();
  await expect(evaluation.getByTestId('confusion-row')).toHaveCount(10);
  await app.show('Predict & models');
  await chooseImage(page);
  expectSamePrediction(await topClasses(page), chosen);
});

test('a file that is not an image gets a clear message beside the pad', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open({ bs: 8, lr: 0.05, epochs: 1, train: 16, test: 8, res: 16, width: 0.0625, seed: 8 }, true);
  await app.expectWebGpuReady();
  await expect(app.latestRun()).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  await app.show('Predict & models');
  await page.getByLabel('Or choose an image…').setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a png') });
  await expect(page.getByRole('region', { name: 'Predict', exact: true }).getByRole('alert')).toHaveText(/not an image the browser can decode/);
});
