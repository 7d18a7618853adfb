import { type Locator, type Page, expect } from '@playwright/test';

export interface RunQuery {
  bs: number;
  lr: number;
  epochs: number;
  train: number;
  test: number;
  res: number;
  width: number;
  seed: number;
  /** Batch norm after every convolution: 1 or 0. */
  bn: number;
  /** Batch norm's statistics for the test pass: recomputed over the training images, or the running averages. */
  bnstats: 'recompute' | 'running';
}

/** The views beside the curves, by their tab's label. */
export type ViewName = 'What the model learned' | 'Runs' | 'Batch-size lab' | 'Reproduce d2l' | 'Predict & models';

/** The parts of the settings folded to one line, by their title. */
export type FoldTitle = 'Ablations: model, optimiser, augmentation' | 'Dataset' | 'Start from';

/** A page object for the playground: the tests speak of runs, fields and views, not of selectors. */
export class PlaygroundPage {
  readonly runRows: Locator;
  readonly trainButton: Locator;
  readonly stopButton: Locator;
  readonly curves: Locator;

  constructor(readonly page: Page) {
    this.runRows = page.getByTestId('run-row');
    this.trainButton = page.getByRole('button', { name: 'Train', exact: true });
    this.stopButton = page.getByRole('button', { name: 'Stop', exact: true });
    // The live curves above the views; a lab and a study draw theirs under other names.
    this.curves = page.getByRole('region', { name: 'Training curves', exact: true });
  }

  tab(view: ViewName): Locator {
    // A tab's name may end in a count ("Runs 3"); the names hold no pattern characters.
    return this.page.getByRole('tab', { name: new RegExp(`^${view}`) });
  }

  /** Shows one of the views beside the curves (outside presenter view, which shows them all without tabs). */
  async show(view: ViewName): Promise<void> {
    await this.tab(view).click();
    await expect(this.tab(view)).toHaveAttribute('aria-selected', 'true');
  }

  /** Opens a folded part of the settings, unless it is open already. */
  async unfold(title: FoldTitle): Promise<void> {
    const fold = this.page.locator('details.fold').filter({ has: this.page.locator(':scope > summary', { hasText: title }) });
    if ((await fold.getAttribute('open')) === null) await fold.locator(':scope > summary').click();
    await expect(fold).toHaveAttribute('open', '');
  }

  async open(query: Partial<RunQuery> = {}, autostart = false): Promise<void> {
    const params = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
    if (autostart) params.set('autostart', '1');
    await this.page.goto(`/?${params}`);
  }

  async expectWebGpuReady(): Promise<void> {
    await expect(this.page.getByTestId('active-backend')).toHaveText('WebGPU', { timeout: 60_000 });
    await expect(this.page.getByTestId('data-ready')).toBeVisible({ timeout: 120_000 });
  }

  field(label: string): Locator {
    return this.page.getByLabel(label, { exact: true });
  }

  /** How long this browser's calibration of a backend took, as the page stored it (src/experiments/machineRates.ts). */
  async calibrationSeconds(backend: string): Promise<number | null> {
    const stored = await this.page.evaluate(() => localStorage.getItem('googlenet-playground:machine-rates'));
    const entries = Object.values(JSON.parse(stored ?? '{}') as Record<string, { backend: string; calibration: { seconds: number } }>);
    return entries.find((entry) => entry.backend === backend)?.calibration.seconds ?? null;
  }

  latestRun(): Locator {
    return this.runRows.first();
  }
}
