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
}

/** A page object for the playground: the tests speak of runs and fields, not of selectors. */
export class PlaygroundPage {
  readonly runRows: Locator;
  readonly trainButton: Locator;
  readonly stopButton: Locator;

  constructor(readonly page: Page) {
    this.runRows = page.getByTestId('run-row');
    this.trainButton = page.getByRole('button', { name: 'Train', exact: true });
    this.stopButton = page.getByRole('button', { name: 'Stop', exact: true });
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

  latestRun(): Locator {
    return this.runRows.first();
  }
}
