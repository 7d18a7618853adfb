import { defineConfig } from '@playwright/test';

/** Override to run a second suite beside a running one. */
const PORT = Number(process.env.E2E_PORT ?? 4173);

/** Debian's Chromium: Playwright must never download a browser of its own. */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Keeps Chromium off the network: this machine's is closed, and the app must need none. */
const QUIET_FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 12 * 60_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  outputDir: '../test-results',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: process.env.CI ? 'retain-on-failure' : 'off',
    // A click or fill on an element that never becomes usable fails instead of waiting out the test.
    actionTimeout: 60_000,
  },
  projects: [
    {
      name: 'webgpu',
      testIgnore: '**/no-webgpu.spec.ts',
      use: { launchOptions: { executablePath: chromiumPath, args: ['--enable-unsafe-webgpu', ...QUIET_FLAGS] } },
    },
    {
      // Without the flag, headless Chromium on a machine with no GPU offers navigator.gpu but no adapter.
      name: 'no-webgpu',
      testMatch: '**/no-webgpu.spec.ts',
      use: { launchOptions: { executablePath: chromiumPath, args: QUIET_FLAGS } },
    },
  ],
  webServer: {
    command: `npx vite build --logLevel warn && npx vite preview --port ${PORT} --strictPort`,
    cwd: '..',
    url: `http://127.0.0.1:${PORT}`,
    reuseExistingServer: !process.env.CI,
    timeout: 300_000,
  },
});
