import type { Page } from '@playwright/test';

const ROOT = new URL('../../', import.meta.url);

/**
 * Serves the repository with Vite, opens src/bench/bench.html in headless Chromium with WebGPU, and hands the page
 * (whose worker trains exactly as the app's does) to `use`; the browser and server are closed however it ends.
 */
export async function withBenchPage<T>(use: (page: Page) => Promise<T>): Promise<{ result: T; browser: string }> {
  const { createServer } = await import('vite');
  const { chromium } = await import('@playwright/test');
  const server = await createServer({
    configFile: new URL('vite.config.ts', ROOT).pathname,
    root: ROOT.pathname,
    logLevel: 'warn',
    // No watching: an edit in the tree must not reload the page in the middle of a measurement.
    server: { port: 0, host: '127.0.0.1', hmr: false, watch: null },
    // Pre-bundled up front: otherwise Vite finds them in the worker, re-optimises and reloads the page mid-run.
    optimizeDeps: { include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu'] },
  });
  try {
    await server.listen();
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--enable-unsafe-webgpu',
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.resolvedUrls!.local[0]}src/bench/bench.html`);
      return { result: await use(page), browser: `Chromium ${browser.version()}` };
    } finally {
      await browser.close();
    }
  } finally {
    await server.close();
  }
}
