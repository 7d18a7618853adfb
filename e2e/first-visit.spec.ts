import { type Page, expect, test } from '@playwright/test';
import { PlaygroundPage } from './app';

async function expectFields(app: PlaygroundPage, values: Record<string, string>, batchNorm: boolean) {
  for (const [label, value] of Object.entries(values)) await expect(app.field(label)).toHaveValue(value);
  await (batchNorm ? expect(app.field('Batch norm')).toBeChecked() : expect(app.field('Batch norm')).not.toBeChecked());
}

const scaleButton = (page: Page, name: string) => page.getByRole('group', { name: 'Scale' }).getByRole('button', { name, exact: true });

test('a first visit shows the quick start; the faithful settings and the Classroom scale are one click away', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await page.goto('/');
  await app.expectWebGpuReady();
  await expectFields(app, { 'Batch size': '32', 'Learning rate': '0.05', Epochs: '2', 'Training images': '1024', Resolution: '32', 'Width multiplier': '0.25' }, true);
  await expect(scaleButton(page, 'Quick start')).toHaveAttribute('aria-pressed', 'true');

  // SwiftShader here: the page says so, and prices each scale from a calibration on this machine.
  const proposal = page.getByTestId('software-proposal');
  await expect(proposal).toContainText('SwiftShader');
  const estimates = page.getByTestId('scale-estimates');
  await expect(estimates).toBeVisible({ timeout: 180_000 });
  const seconds = async (testId: string) => Number(await page.getByTestId(testId).getAttribute('data-seconds'));
  await expect(page.getByTestId('estimate-quick')).toHaveText(/^about \d+ (s|min)$/);
  await expect(page.getByTestId('estimate-faithful')).toContainText('scaled from the Classroom network by multiply-accumulates');
  expect(await seconds('estimate-classroom')).toBeGreaterThan(await seconds('estimate-quick'));
  expect(await seconds('estimate-faithful')).toBeGreaterThan(100 * (await seconds('estimate-classroom')));

  await scaleButton(page, 'Faithful d2l').click();
  await expectFields(app, { 'Batch size': '64', 'Learning rate': '0.05', Epochs: '25', 'Training images': '60000', 'Test images': '10000', Resolution: '96', 'Width multiplier': '1' }, false);
  await expect(scaleButton(page, 'Faithful d2l')).toHaveAttribute('aria-pressed', 'true');

  await proposal.getByRole('button', { name: 'Use the Classroom scale' }).click();
  await expectFields(app, { 'Batch size': '64', Epochs: '5', 'Training images': '1500', 'Test images': '500', Resolution: '32', 'Width multiplier': '0.25' }, true);
  await expect(page.getByTestId('scale-description')).toContainText('+BN');
  await expect(proposal.getByRole('button', { name: 'Use the Classroom scale' })).toHaveCount(0);
});

test('a link keeps meaning d2l: the settings it leaves out are the faithful ones', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await app.open({ bs: 8, lr: 0.02 });
  await expectFields(app, { 'Batch size': '8', Resolution: '96', 'Training images': '60000' }, false);
});
