import { expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';

test('a two-batch-size lab in race mode grows both runs epoch by epoch', async ({ page }, testInfo) => {
  const app = new PlaygroundPage(page);
  await app.open({ bs: 8, lr: 0.05, epochs: 2, train: 16, test: 8, res: 16, width: 0.0625, seed: 4 });
  await app.expectWebGpuReady();
  await app.show('Batch-size lab');
  const lab = page.getByRole('region', { name: 'Batch-size lab' });
  await lab.getByLabel('Batch sizes').fill('4, 16, 32');
  await expect(lab.getByRole('alert')).toHaveText('Batch size (32) cannot exceed the number of training images (16).');
  await lab.getByLabel('Batch sizes').fill('4, 16');
  await expect(lab.getByRole('checkbox', { name: /Race/ })).toBeChecked();
  await lab.getByRole('button', { name: 'Run lab' }).click();
  await expect(lab.getByTestId('queue-progress')).toContainText('Race: bs 4');

  // Epochs done per batch size, each time they change: a race never lets one run get two epochs ahead.
  const states: string[] = [];
  await expect
    .poll(
      async () => {
        const rows = await lab.getByTestId('lab-row').evaluateAll((trs) =>
          trs.map((tr) => `${tr.getAttribute('data-batch-size')}:${tr.getAttribute('data-epochs-done')}`),
        );
        const state = ['4', '16'].map((bs) => rows.find((r) => r.startsWith(`${bs}:`))?.split(':')[1] ?? '0').join(',');
        if (states[states.length - 1] !== state) states.push(state);
        return state;
      },
      { timeout: 300_000, intervals: [200] },
    )
    .toBe('2,2');
  for (const state of states) {
    const [small, large] = state.split(',').map(Number) as [number, number];
    expect(small - large, `epochs done (bs 4, bs 16) went through ${states.join(' → ')}`).toBeGreaterThanOrEqual(0);
    expect(small - large).toBeLessThanOrEqual(1);
  }
  expect(states).toContain('1,1');

  await expect(app.runRows.filter({ has: page.locator('.status.done') })).toHaveCount(2);
  for (const row of await app.runRows.all()) await expect(row).toHaveAttribute('data-epoch-numbers', '1,2');
  await expect(lab.getByTestId('queue-progress')).toHaveCount(0);
  await expect(lab.getByTestId('throughput-chart').locator('.recharts-bar-rectangle')).toHaveCount(2);
  await expect(lab.getByTestId('loss-chart').locator('.recharts-legend-item')).toHaveText(['bs 16 · lr 0.05', 'bs 4 · lr 0.05']);
  await expect(lab.getByTestId('accuracy-chart').locator('.recharts-legend-item')).toHaveCount(2);
  await expect(lab.getByTestId('lab-findings')).toContainText('batch 4 makes 4 weight updates and batch 16 makes 1');
  await lab.screenshot({ path: testInfo.outputPath('lab-after-race.png') });
});
