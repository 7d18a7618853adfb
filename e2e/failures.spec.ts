import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';

test('a diverging run fails with a clear message, keeps its row, and a new run can start', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open({ bs: 16, lr: 100, epochs: 3, train: 64, test: 16, res: 16, width: 0.0625, seed: 1 }, true);
  await app.expectWebGpuReady();
  const failed = app.runRows.first();
  await expect(failed).toHaveAttribute('data-status', 'failed', { timeout: 180_000 });
  await expect(failed).toContainText(/Loss became (NaN|infinite) at epoch \d, batch \d+ — try a smaller learning rate\./);

  await app.field('Learning rate').fill('0.05');
  await expect(app.trainButton).toBeEnabled({ timeout: 120_000 });
  await app.trainButton.click();
  await expect(app.runRows).toHaveCount(2);
  await expect(app.runRows.first()).toHaveAttribute('data-status', 'done', { timeout: 180_000 });
  await expect(app.runRows.nth(1)).toHaveAttribute('data-status', 'failed');
});

test('a crashed worker fails its run, and a fresh worker takes the next one', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open({ bs: 8, lr: 0.05, epochs: 20, train: 400, test: 16, res: 16, width: 0.0625, seed: 3 }, true);
  await app.expectWebGpuReady();
  await expect(page.getByTestId('run-progress')).toContainText('batch', { timeout: 120_000 });
  const trainingWorker = page.workers().find((w) => w.url().includes('training.worker'));
  expect(trainingWorker).toBeDefined();
  await trainingWorker!.evaluate(() => {
    setTimeout(() => {
      throw new Error('simulated crash');
    });
  });
  const crashed = app.runRows.first();
  await expect(crashed).toHaveAttribute('data-status', 'failed', { timeout: 30_000 });
  await expect(crashed).toContainText('The training worker crashed');
  await expect(crashed).toContainText('simulated crash');

  await app.field('Epochs').fill('1');
  await app.field('Training images').fill('16');
  await expect(app.trainButton).toBeEnabled({ timeout: 120_000 });
  await app.trainButton.click();
  await expect(app.runRows.first()).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
});

test('soak: twenty short runs in one page leave the same tensors and device memory behind', async ({ page }) => {
  test.setTimeout(10 * 60_000);
  const app = new PlaygroundPage(page);
  await app.open({ bs: 8, lr: 0.05, epochs: 1, train: 16, test: 8, res: 16, width: 0.0625, seed: 4 });
  await app.expectWebGpuReady();
  // The page calibrates this machine between runs until it has finished once; a calibration cut short at a
  // different point each time would leave a different pool behind each run.
  await expect(page.getByTestId('scale-estimates')).toBeVisible({ timeout: 240_000 });
  const memory = page.getByTestId('memory-after-run');
  const levels: string[] = [];
  for (let run = 1; run <= 20; run++) {
    await app.trainButton.click();
    await expect(app.runRows).toHaveCount(run);
    await expect(app.runRows.first()).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
    levels.push(`${await memory.getAttribute('data-num-tensors')} tensors, ${await memory.getAttribute('data-allocated-bytes')} B`);
  }
  console.log(`memory after each run: ${levels.join(' | ')}`);
  expect(levels[0]).toMatch(/^0 tensors/);
  // The first runs fill WebGPU's buffer pool; from then on every run must leave exactly the same behind.
  expect(new Set(levels.slice(2)).size).toBe(1);
});

test('a worker that dies while a model save is pending: the save fails with the reason, and a fresh worker takes the next', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open({ bs: 8, lr: 0.05, epochs: 1, train: 32, test: 16, res: 16, width: 0.0625, seed: 9 }, true);
  await app.expectWebGpuReady();
  await expect(app.latestRun()).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
  const trainingWorker = page.workers().find((w) => w.url().includes('training.worker'));
  expect(trainingWorker).toBeDefined();
  // The worker takes the save request and dies before answering it, as a crash in the middle of the request would.
  await trainingWorker!.evaluate(() => {
    const scope = globalThis as unknown as { onmessage: ((event: MessageEvent) => void) | null };
    const handle = scope.onmessage!;
    scope.onmessage = (event) => {
      if ((event.data as { type?: string } | null)?.type !== 'save-model') return handle(event);
      setTimeout(() => {
        throw new Error('simulated crash during save');
      });
    };
  });
  await app.show('Predict & models');
  const models = page.getByRole('region', { name: 'Models' });
  const save = models.getByRole('button', { name: /Save the run on the charts/ });
  const status = models.getByTestId('models-status');
  await save.click();
  await expect(status).toContainText('The training worker crashed', { timeout: 60_000 });
  await expect(status).toContainText('simulated crash during save');

  await expect(page.getByTestId('data-ready')).toBeVisible({ timeout: 120_000 });
  await expect(save).toBeEnabled();
  await save.click();
  await expect(status).toContainText('Saved "', { timeout: 60_000 });
});
