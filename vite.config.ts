import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

/**
 * Cross-origin isolation: without it the browser withholds SharedArrayBuffer, so tfjs loads its single-threaded
 * wasm binary. The app fetches only its own origin, which require-corp always allows.
 */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react()],
  worker: {
    format: 'es',
    // tfjs's threaded wasm build starts each pthread from its factory's source (`factory.toString()`). Compression
    // drops the factory's `typeof` guard around a variable of the enclosing scope, and every pthread then dies with a
    // ReferenceError; renaming alone keeps the factory self-contained.
    rolldownOptions: { output: { minify: { compress: false, mangle: true } } },
  },
  server: { port: 5173, host: '127.0.0.1', headers: ISOLATION_HEADERS },
  preview: { port: 4173, host: '127.0.0.1', headers: ISOLATION_HEADERS },
  build: { chunkSizeWarningLimit: 4000 },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
