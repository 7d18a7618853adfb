import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';

/**
 * Sized for SwiftShader on two cores (≈ 20 examples/s here): 48 SGD steps of a narrow GoogLeNet at 32×32.
 * That is too few to leave the d2l model's initial plateau at ln 10 (measured: ≈ 1,100 steps at lr 0.1), so this
 * test holds the WebGPU run to a falling, finite loss; src/train/learning.test.ts trains the same engine past the
 * plateau to above-chance test accuracy on the cpu backend.
 */
const REDUCED = { bs: 16, lr: 0.1, epochs: 3, train: 256, test: 64, res: 32, width: 0.125, seed: 1 };

test('trains a reduced GoogLeNet on real Fashion-MNIST on WebGPU: live curves, falling loss, no leak', async ({ page, baseURL }) => {
  const appOrigin = new URL(baseURL!).origin;
  const foreignRequests: string[] = [];
  page.context().on('request', (request) => {
    if (new URL(request.url()).origin !== appOrigin) foreignRequests.push(request.url());
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

  console.log(
    `WebGPU run: loss ${firstLoss.toFixed(4)} → ${lastLoss.toFixed(4)}, test acc ${testAccuracy}, ` +
      `${examplesPerSecond.toFixed(1)} examples/s, tensors per epoch ${tensorsPerEpoch.join(',')}`,
  );
  expect(Number.isFinite(firstLoss)).toBe(true);
  expect(lastLoss).toBeLessThan(firstLoss);
  expect(testAccuracy).toBeGreaterThanOrEqual(0);
  expect(testAccuracy).toBeLessThanOrEqual(1);
  expect(examplesPerSecond).toBeGreaterThan(0);
  expect(new Set(tensorsPerEpoch).size).toBe(1);

  await expect(page.getByTestId('loss-chart').locator('.recharts-line path.recharts-curve')).toHaveCount(2);
  expect(foreignRequests).toEqual([]);
});
