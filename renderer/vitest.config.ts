import { svelte } from '@sveltejs/vite-plugin-svelte';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = path.dirname(fileURLToPath(import.meta.url));

// Component tests: jsdom + Svelte's browser build (the 'browser' condition picks mount() over SSR).
export default defineConfig({
  root: here,
  plugins: [svelte()],
  resolve: { conditions: ['browser'] },
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'jsdom',
    pool: 'forks',
    maxWorkers: 2,
  },
});
