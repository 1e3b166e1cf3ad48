// E2E harness: the real service (SQLite, ONNX Runtime, sharp, chokidar) behind the real HTTP
// bridge, the freshly built renderer, and Debian's Chromium driven by playwright-core.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll } from 'vitest';
import { APP_ROOT } from '../../app/paths.js';
import { startServer, type RunningServer } from '../../app/server.js';
import type { EngineService } from '../../app/service.js';
import { tinyService } from '../helpers/engine.js';

export const CHROMIUM = process.env.MAGICLENS_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
export const ARTIFACTS = path.join(APP_ROOT, 'test-results', 'e2e');

let built: Promise<string> | null = null;
// Registered while the importing test file is collected: the build goes when that file is done.
afterAll(async () => {
  if (built) fs.rmSync(await built, { recursive: true, force: true });
});
/** Builds the renderer once per run into a temp folder (never serves a stale bundle). */
export function buildRenderer(): Promise<string> {
  built ??= (async () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-renderer-'));
    await build({ configFile: path.join(APP_ROOT, 'renderer', 'vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } });
    return outDir;
  })();
  return built;
}

export interface Rig {
  root: string;
  service: EngineService;
  server: RunningServer;
  context: BrowserContext;
  page: Page;
  consoleErrors: string[];
  shot(name: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Screenshots of the page as it is, in both colour schemes at 1400×900 and 1000×700, named
 * `<name>-<scheme>-<width>`; then the viewport `after` (the size the test goes on with).
 */
export async function shotsEverySize(page: Page, shot: (name: string) => Promise<unknown>, name: string, o: { schemes?: readonly ('light' | 'dark')[]; settleMs?: number; after?: { width: number; height: number } } = {}): Promise<void> {
  for (const scheme of o.schemes ?? (['light', 'dark'] as const)) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [w, h] of [[1400, 900], [1000, 700]] as const) {
      await page.setViewportSize({ width: w, height: h });
      await page.waitForTimeout(o.settleMs ?? 150);
      await shot(`${name}-${scheme}-${w}`);
    }
  }
  await page.setViewportSize(o.after ?? { width: 1360, height: 860 });
}

export async function startRig(name: string): Promise<Rig | null> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `ml-e2e-${name}-`));
  const service = await tinyService(root, { watch: true, threads: 2, stabilityMs: 150, graceMs: 300 });
  if (!service) return null;
  const staticDir = await buildRenderer();
  const server = await startServer({ service, staticDir });
  const context = await chromium.launchPersistentContext(path.join(root, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1360, height: 860 },
    colorScheme: 'dark',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000); // generous: the full suite runs other heavy tests beside this one
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) consoleErrors.push(`HTTP ${r.status()} ${new URL(r.url()).pathname}`);
  });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return {
    root,
    service,
    server,
    context,
    page,
    consoleErrors,
    async shot(n) {
      const file = path.join(ARTIFACTS, `${name}-${n}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    async close() {
      await context.close().catch(() => undefined);
      await server.close();
      await service.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

export function chromiumMissing(): string | null {
  return fs.existsSync(CHROMIUM) ? null : `Chromium not found at ${CHROMIUM} (set MAGICLENS_CHROMIUM)`;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  /** Each failing node: its CSS target and axe's summary of why it fails. */
  nodes: string[];
}

/** The WCAG 2.x A and AA rule tags, 2.2 included. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

/**
 * Runs axe-core (its source passed in, evaluated over CDP so the page's CSP does not block it)
 * against the whole document with the WCAG A/AA tags; label-content-name-mismatch is tagged
 * experimental by axe and so is named explicitly.
 */
export async function axeViolations(page: Page, axeSource: string): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  return page.evaluate(async (tags) => {
    type AxeRun = (ctx: Document, opts: unknown) => Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown[]; failureSummary?: string }[] }[] }>;
    const axe = (globalThis as unknown as { axe: { run: AxeRun } }).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: tags }, rules: { 'label-content-name-mismatch': { enabled: true } }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => `${n.target.join(' ')} — ${(n.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 160)}`) }));
  }, WCAG_TAGS);
}
