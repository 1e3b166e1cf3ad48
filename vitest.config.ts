import { defineConfig } from 'vitest/config';

// Node-side tests (unit, integration against real SQLite/ORT/files, e2e in Chromium).
// Renderer component tests live in renderer/vitest.config.ts (jsdom + Svelte's browser build).
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
