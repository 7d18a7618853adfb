import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';

/** Every ablation of the articles appears in at least one run; each run trains three steps on WebGPU. */
const ABLATION_RUNS: { query: Record<string, string | number>; legend: string }[] = [
  {
    query: {
      bn: 1, act: 'leaky-relu', factorize: 1, pool: 'avg', init: 'kaiming', opt: 'momentum', wd: 0.0005, sched: 'step',
      step: 1, gamma: 0.5, crop: 2, flip: 1, aux: 1, dropout: 1,
    },
    legend: 'bs 4 · lr 0.05 · aux · dropout · BN · leaky-relu · 3×3+3×3 · avg pool · kaiming · momentum · wd 0.0005 · step 1×0.5 · crop ±2 · flip',
  },
  { query: { act: 'elu', opt: 'adam', sched: 'cosine', warmup: 1 }, legend: 'bs 4 · lr 0.05 · elu · adam · cosine · warm-up 1' },
  { query: { act: 'tanh', model: 'paper', res: 32, aux: 1, dropout: 1 }, legend: 'bs 4 · lr 0.05 · paper model · aux · dropout · tanh' },
];

test('every ablation option builds, trains a few steps on WebGPU and is recorded in the run', async ({ page }) => {
  const app = new PlaygroundPage(page);
  for (const [index, { query, legend }] of ABLATION_RUNS.entries()) {
    await app.open({ bs: 4, lr: 0.05, epochs: 1, train: 12, test: 4, res: 16, width: 0.0625, seed: 5, ...query }, true);
    await app.expectWebGpuReady();
    await expect(app.runRows).toHaveCount(index + 1);
    const row = app.latestRun();
    await expect(row).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
    await expect(row).toHaveAttribute('data-backend', 'webgpu');
    await expect(row.locator('.run-name')).toHaveText(legend);
    const loss = Number(await row.getAttribute('data-train-loss'));
    expect(Number.isFinite(loss), `${legend}: loss ${loss}`).toBe(true);
  }
  // The settings of a stored run come back with it: open the first run's options from its row.
  await page.reload();
  await expect(app.runRows.first().locator('.run-name')).toHaveText(ABLATION_RUNS[2]!.legend);
});

test('the ablation fields sit with the settings and refuse bad values beside the field', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open({ bs: 4, lr: 0.05, epochs: 1, train: 12, test: 4, res: 16, width: 0.0625, seed: 5 });
  await page.getByText('Ablations: model, optimiser, augmentation').click();
  await app.field('Weight decay').fill('2');
  await expect(page.locator('#field-weightDecay-note')).toHaveText('Weight decay must be between 0 and 1.');
  await app.field('Weight decay').fill('0.0001');
  await app.field('Model').selectOption('paper');
  await expect(app.field('Resolution')).toHaveValue('224');
  await expect(app.field('Auxiliary classifiers')).toBeChecked();
  await app.field('Resolution').fill('16');
  await expect(page.locator('#field-resolution-note')).toHaveText("The paper's model needs a resolution of at least 32.");
  await expect(app.trainButton).toBeDisabled();
});
