import { type Locator, type Page, expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';

const TINY = { bs: 8, lr: 0.05, epochs: 4, train: 32, test: 8, res: 16, width: 0.0625, seed: 31 };

const row = (page: Page, runId: string): Locator => page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);

test('a run one tab trains cannot be resumed in another until that tab stops; no epoch is lost or doubled', async ({ context }) => {
  // The second tab is ready first, so that it sees the run while the first still trains it.
  const second = new PlaygroundPage(await context.newPage());
  await second.open(TINY);
  await second.expectWebGpuReady();
  await second.show('Runs');
  const first = new PlaygroundPage(await context.newPage());
  await first.open(TINY, true);
  await first.expectWebGpuReady();
  const trained = first.latestRun();
  await expect(trained).toHaveAttribute('data-status', 'running');
  const runId = (await trained.getAttribute('data-run-id'))!;

  const seen = row(second.page, runId);
  await expect(seen).toHaveAttribute('data-status', 'running');
  await expect(seen.getByTestId('run-held-elsewhere')).toHaveText(
    'Another tab is training this run — it can be resumed here once that tab stops or closes.',
  );
  await expect(seen.getByRole('button', { name: 'resume' })).toBeDisabled();

  await expect(trained).toHaveAttribute('data-epochs-done', /^[1-3]$/, { timeout: 120_000 });
  await first.stopButton.click();
  await expect(trained).toHaveAttribute('data-status', 'stopped');
  const kept = (await trained.getAttribute('data-epoch-numbers'))!;

  await expect(seen).toHaveAttribute('data-status', 'stopped');
  await expect(seen).toHaveAttribute('data-epoch-numbers', kept);
  await expect(seen.getByTestId('run-held-elsewhere')).toHaveCount(0);
  await seen.getByRole('button', { name: 'resume' }).click();
  await expect(seen).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  for (const app of [first, second]) await expect(row(app.page, runId)).toHaveAttribute('data-epoch-numbers', '1,2,3,4');
});
