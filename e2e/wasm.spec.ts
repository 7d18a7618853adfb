import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';

/** The classroom network with batch norm: on wasm a few seconds per epoch, even on two busy cores. */
const TINY = { bn: 1, bs: 16, lr: 0.05, epochs: 2, train: 128, test: 64, res: 32, width: 0.25, seed: 3 };

test('recommends wasm on a software GPU, and trains on it with its threaded build, a thread per core but one', async ({ page, baseURL }) => {
  test.setTimeout(6 * 60_000);
  const appOrigin = new URL(baseURL!).origin;
  const foreignRequests: string[] = [];
  page.context().on('request', (request) => {
    if (new URL(request.url()).origin !== appOrigin) foreignRequests.push(request.url());
  });
  // A pthread that cannot start (a bundler that broke tfjs's worker source, say) only ever says so here.
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));

  const app = new PlaygroundPage(page);
  await app.open(TINY);
  await app.expectWebGpuReady();
  const recommendation = page.getByTestId('wasm-recommendation');
  await expect(recommendation).toContainText(/≈ \d+× faster here \(measured on a 2-core machine\)/);
  await recommendation.getByRole('button', { name: 'Use wasm (CPU, fast)' }).click();

  await expect(page.getByTestId('active-backend')).toHaveText('wasm', { timeout: 60_000 });
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const adapter = (await page.getByTestId('adapter').textContent()) ?? '';
  const threads = Number(/(\d+) threads?/.exec(adapter)?.[1]);
  console.log(`wasm backend: ${adapter}`);
  expect(adapter).toContain('SIMD');
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  expect(threads).toBe(Math.max(1, Math.min(cores - 1, 8)));
  expect(adapter).not.toContain('not cross-origin isolated');

  await expect(page.getByTestId('data-ready')).toBeVisible({ timeout: 120_000 });
  await app.trainButton.click();
  const run = app.latestRun();
  await expect(run).toHaveAttribute('data-backend', 'wasm');
  await expect(run).toHaveAttribute('data-status', 'done', { timeout: 4 * 60_000 });
  await expect(run).toHaveAttribute('data-epochs-done', String(TINY.epochs));
  const figure = async (name: string) => Number(await run.getAttribute(name));
  const loss = await figure('data-train-loss');
  const testAccuracy = await figure('data-test-acc');
  const examplesPerSecond = await figure('data-examples-per-sec');
  console.log(`wasm run: loss ${loss}, test acc ${testAccuracy}, ${examplesPerSecond} examples/s`);
  expect(Number.isFinite(loss) && loss > 0).toBe(true);
  expect(Number.isFinite(testAccuracy) && testAccuracy >= 0 && testAccuracy <= 1).toBe(true);
  expect(examplesPerSecond).toBeGreaterThan(0);
  const tensorsPerEpoch = (await run.getAttribute('data-tensors-per-epoch'))!.split(',').map(Number);
  expect(new Set(tensorsPerEpoch).size).toBe(1);

  expect(foreignRequests).toEqual([]);
  expect(errors).toEqual([]);
});
