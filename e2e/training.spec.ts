import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';

/**
 * The link: GoogLeNet at 32×32, width ¼, with batch norm, 1,024 images for 2 epochs at batch 32 (64 SGD
 * steps). Batch norm lets it leave the ln 10 plateau that d2l's plain network sits on for ~1,100 steps; its PyTorch
 * reference (public/reference/pytorch-reference.json, first-visit settings) reaches 0.58–0.63 test accuracy with
 * the statistics recomputed before each test pass, as here. On SwiftShader (≈ 13 examples/s on two cores) the run
 * takes about four minutes.
 */
const LEARNS = { bn: 1, bnstats: 'recompute', bs: 32, lr: 0.05, epochs: 2, train: 1024, test: 500, res: 32, width: 0.25, seed: 7 } as const;

test('learns real Fashion-MNIST on WebGPU: test accuracy well above chance, live curves, no leak', async ({ page, baseURL }) => {
  test.setTimeout(20 * 60_000);
  const appOrigin = new URL(baseURL!).origin;
  const foreignRequests: string[] = [];
  page.context().on('request', (request) => {
    if (new URL(request.url()).origin !== appOrigin) foreignRequests.push(request.url());
  });
  const app = new PlaygroundPage(page);
  await app.open(LEARNS, true);
  await app.expectWebGpuReady();
  await expect(page.getByTestId('adapter')).not.toBeEmpty();

  const run = app.latestRun();
  await expect(run).toHaveAttribute('data-status', 'running');
  await expect(run).toHaveAttribute('data-backend', 'webgpu');
  await expect(page.getByTestId('run-progress')).toBeVisible();

  await expect(run).toHaveAttribute('data-epochs-done', '1', { timeout: 10 * 60_000 });
  const firstLoss = Number(await run.getAttribute('data-train-loss'));

  await expect(run).toHaveAttribute('data-status', 'done', { timeout: 10 * 60_000 });
  await expect(run).toHaveAttribute('data-epochs-done', String(LEARNS.epochs));
  const lastLoss = Number(await run.getAttribute('data-train-loss'));
  const testAccuracy = Number(await run.getAttribute('data-test-acc'));
  const examplesPerSecond = Number(await run.getAttribute('data-examples-per-sec'));
  const tensorsPerEpoch = (await run.getAttribute('data-tensors-per-epoch'))!.split(',').map(Number);

  console.log(
    `WebGPU run: loss ${firstLoss.toFixed(4)} → ${lastLoss.toFixed(4)}, test acc ${testAccuracy}, ` +
      `${examplesPerSecond.toFixed(1)} examples/s, tensors per epoch ${tensorsPerEpoch.join(',')}`,
  );
  expect(testAccuracy).toBeGreaterThanOrEqual(0.35);
  expect(lastLoss).toBeLessThan(Math.log(10) - 0.5);
  expect(examplesPerSecond).toBeGreaterThan(0);
  expect(new Set(tensorsPerEpoch).size).toBe(1);

  // Its settings are the first visit's (seed aside), so the charts draw that PyTorch reference behind it.
  const lossChart = page.getByTestId('loss-chart');
  await expect(lossChart.locator('.recharts-legend-item', { hasText: 'PyTorch reference' })).toHaveCount(1);
  await expect(lossChart.locator('path.recharts-line-curve:not([stroke-dasharray])')).toHaveCount(2);
  expect(foreignRequests).toEqual([]);
});
