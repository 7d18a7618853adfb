import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';

/**
 * Sized for SwiftShader on two cores: a narrow GoogLeNet at 32×32 that still learns Fashion-MNIST above chance
 * within a few minutes. The full network and resolution are the defaults, measured by `npm run bench`.
 */
const REDUCED = { bs: 32, lr: 0.5, epochs: 3, train: 640, test: 256, res: 32, width: 0.125, seed: 1 };

test('trains a reduced GoogLeNet on real Fashion-MNIST on WebGPU, and it learns', async ({ page }) => {
  const foreignRequests: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).origin !== new URL(page.url() || request.url()).origin) foreignRequests.push(request.url());
  });
  const app = new PlaygroundPage(page);
  await app.open(REDUCED, true);
  await app.expectWebGpuReady();
  await expect(page.getByTestId('adapter')).not.toBeEmpty();

  const run = app.latestRun();
  await expect(run).toHaveAttribute('data-status', 'running');
  await expect(run).toHaveAttribute('data-backend', 'webgpu');
  await expect(page.getByTestId('run-progress')).toBeVisible();

  await expect(run).toHaveAttribute('data-epochs-done', '1', { timeout: 6 * 60_000 });
  const firstLoss = Number(await run.getAttribute('data-train-loss'));

  await expect(run).toHaveAttribute('data-status', 'done', { timeout: 6 * 60_000 });
  await expect(run).toHaveAttribute('data-epochs-done', String(REDUCED.epochs));
  const lastLoss = Number(await run.getAttribute('data-train-loss'));
  const testAccuracy = Number(await run.getAttribute('data-test-acc'));
  const examplesPerSecond = Number(await run.getAttribute('data-examples-per-sec'));
  const tensorsPerEpoch = (await run.getAttribute('data-tensors-per-epoch'))!.split(',').map(Number);

  test.info().annotations.push({
    type: 'measured',
    description: `loss ${firstLoss.toFixed(3)} → ${lastLoss.toFixed(3)}, test acc ${testAccuracy}, ${examplesPerSecond.toFixed(1)} ex/s`,
  });
  expect(Number.isFinite(firstLoss)).toBe(true);
  expect(lastLoss).toBeLessThan(firstLoss);
  expect(testAccuracy).toBeGreaterThan(0.2);
  expect(examplesPerSecond).toBeGreaterThan(0);
  expect(new Set(tensorsPerEpoch).size).toBe(1);

  await expect(page.getByTestId('loss-chart').locator('.recharts-line path.recharts-curve')).toHaveCount(2);
  expect(foreignRequests).toEqual([]);
});
