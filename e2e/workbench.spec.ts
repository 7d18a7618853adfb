import AxeBuilder from '@axe-core/playwright';
import { type Locator, type Page, expect, test } from '@playwright/test';
import { PlaygroundPage, type ViewName } from './app';
import { openWithLab } from './labFixture';

/** 64 images at 32×32, width ⅛: an epoch in well under a minute on SwiftShader; later epochs keep Stop on screen. */
const QUICK = { bn: 1, bs: 16, lr: 0.05, epochs: 4, train: 64, test: 32, res: 32, width: 0.125, seed: 1 };

const WIDE = [
  { width: 1280, height: 800 },
  { width: 1920, height: 1080 },
];

/** When set, the README's screenshots are written there (docs/screenshots). */
const SCREENSHOTS = process.env.SCREENSHOT_DIR;

async function expectInView(locator: Locator, what: string): Promise<void> {
  const box = await locator.boundingBox();
  const { width, height } = locator.page().viewportSize()!;
  expect(box, `${what} is on the page`).not.toBeNull();
  const edges = { left: box!.x, top: box!.y, right: box!.x + box!.width, bottom: box!.y + box!.height };
  const inside = edges.left >= 0 && edges.top >= 0 && edges.right <= width && edges.bottom <= height;
  expect(inside, `${what}: ${JSON.stringify(edges)}, inside ${width}×${height}`).toBe(true);
}

/** The plot areas (the grids the curves are drawn on) of the main curves' two charts. */
const plotAreas = (app: PlaygroundPage) =>
  (['loss-chart', 'accuracy-chart'] as const).map((chart) => ({ chart, grid: app.curves.getByTestId(chart).locator('.recharts-cartesian-grid') }));

async function expectTuningInView(app: PlaygroundPage, button: Locator, label: string): Promise<void> {
  const { width, height } = app.page.viewportSize()!;
  await expectInView(button, `${label} at ${width}×${height}`);
  for (const { chart, grid } of plotAreas(app)) await expectInView(grid, `the ${chart}'s plot area at ${width}×${height}`);
  const at = async (locator: Locator) => Math.round((await locator.boundingBox())!.y);
  console.log(`${width}×${height}: ${label} at y ${await at(button)}, plot areas at y ${await at(plotAreas(app)[0]!.grid)}`);
}

test('the settings, Train and both curves share the first screen at 1280×800 and 1920×1080, during a run too; each view is one click away', async ({ page }) => {
  test.setTimeout(8 * 60_000);
  const app = new PlaygroundPage(page);
  await page.setViewportSize(WIDE[0]!);
  await page.goto('/');
  await app.expectWebGpuReady();
  for (const viewport of WIDE) {
    await page.setViewportSize(viewport);
    await expectTuningInView(app, app.trainButton, 'Train');
    await expectInView(app.field('Learning rate'), `the learning rate at ${viewport.width}×${viewport.height}`);
  }

  await app.open(QUICK);
  await app.expectWebGpuReady();
  await page.keyboard.press('t');
  const run = app.latestRun();
  await expect(run).toHaveAttribute('data-epochs-done', '1', { timeout: 5 * 60_000 });
  await expect(app.curves.getByTestId('accuracy-chart').locator('path.recharts-line-curve')).toHaveCount(2);
  for (const viewport of [...WIDE].reverse()) {
    await page.setViewportSize(viewport);
    await expectTuningInView(app, app.stopButton, 'Stop');
    if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/workbench-${viewport.width}x${viewport.height}.png` });
  }

  // One click shows each view under the curves, which stay where they were.
  const views: [ViewName, string][] = [['Runs', 'Results'], ['Batch-size lab', 'Batch-size lab'], ['Reproduce d2l', 'Reproduce d2l']];
  for (const [view, region] of views) {
    await app.tab(view).click();
    await expect(page.getByRole('region', { name: region, exact: true })).toBeInViewport();
    for (const { chart, grid } of plotAreas(app)) await expectInView(grid, `the ${chart}'s plot area with ${view} shown`);
  }
  // Scrolled to the foot of a long view, the rail (and Stop in it) and the tabs stay on screen.
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await expectInView(app.stopButton, 'Stop with the page scrolled down');
  await app.tab('Runs').click();
  await expect(page.getByRole('region', { name: 'Results', exact: true }).getByRole('heading', { name: 'Runs' })).toBeInViewport();

  if (SCREENSHOTS) {
    await page.setViewportSize({ width: 390, height: 844 });
    await app.curves.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SCREENSHOTS}/workbench-390x844.png` });
  }
  await app.stopButton.click();
  await expect(run).toHaveAttribute('data-status', /stopped|done/, { timeout: 120_000 });
});

async function expectNoViolations(page: Page, what: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const found = violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((node) => node.target.join(' ')).join(', ')}`);
  expect(found, `axe-core in ${what}`).toEqual([]);
}

test('axe-core finds no violations in the first view, the presenter view (dark), every view on a phone, and high contrast', async ({ page }) => {
  const app = new PlaygroundPage(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/');
  await app.expectWebGpuReady();
  await expectNoViolations(page, 'the first view');

  await page.setViewportSize({ width: 1280, height: 720 });
  await openWithLab(page, '?present=1&theme=dark');
  await expectNoViolations(page, 'the presenter view, dark, with a finished lab');

  // The lab's runs stay in this browser's storage: the other views show them without importing them again.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/');
  for (const view of ['What the model learned', 'Runs', 'Batch-size lab', 'Reproduce d2l', 'Predict & models'] as const) {
    await app.show(view);
    await expectNoViolations(page, `the phone view, ${view} shown`);
  }

  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/?theme=contrast');
  await app.show('Batch-size lab');
  await expectNoViolations(page, 'the high-contrast theme, the lab shown');
});
