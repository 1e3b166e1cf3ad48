/// <reference lib="dom" />
// The bundled demo pack through the UI, as a new user meets it:
// - the welcome screen's "Try it on sample photos" → the sample library is copied into the data folder
//   and indexed → each suggested search (query photo + instruction) ranks its expected photo first;
// - held-out pictures of the demo world (the gate pages of models/README.md: rendered at test time by
//   models/python, never trained on or selected on) in a folder, composed searches from right-click →
//   Find related… + the mined instruction, the correct answer at the top.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ROOT, BUNDLED_PACKS_DIR } from '../../app/paths.js';
import { startServer, type RunningServer } from '../../app/server.js';
import { createService, type EngineService } from '../../app/service.js';
import { BUNDLED_SAMPLES_DIR } from '../../app/service/handlers/samples.js';
import { ARTIFACTS, buildRenderer, CHROMIUM, CHROMIUM_ARGS, chromiumMissing, WCAG_TAGS } from './harness.js';

const PYTHON = process.env.MAGICLENS_PYTHON ?? '/usr/bin/python3';
function why(): string | null {
  if (chromiumMissing()) return chromiumMissing();
  if (!fs.existsSync(path.join(BUNDLED_PACKS_DIR, 'demo', 'manifest.json'))) return 'the bundled demo pack (models/packs/demo) is not there';
  try {
    execFileSync(PYTHON, ['-c', 'import numpy, PIL'], { stdio: 'ignore' });
    return null;
  } catch {
    return `${PYTHON} with numpy and PIL is needed to render the demo world's held-out pictures`;
  }
}
const skip = why();
if (skip) console.warn(`demo e2e skipped: ${skip}`);

interface Held {
  queries: { query: string; instruction: string; target: string; positives: string[] }[];
}

describe.skipIf(skip !== null)('the demo model in the UI', () => {
  let tmp: string;
  let svc: EngineService;
  let server: RunningServer;
  let held: Held;
  let photos: string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-e2e-demo-'));
    photos = path.join(tmp, 'Demo world');
    execFileSync(PYTHON, [path.join(APP_ROOT, 'models', 'python', 'make_heldout.py'), photos, '--first', '1000', '--pages', '10'], { stdio: 'pipe' });
    held = JSON.parse(fs.readFileSync(path.join(photos, 'queries.json'), 'utf8')) as Held;
    fs.rmSync(path.join(photos, 'queries.json'));
    // The default bundled packs: a fresh data dir uses the demo model, as `npm start` does.
    svc = await createService({ dataDir: path.join(tmp, 'data'), watch: false, threads: 2 });
    server = await startServer({ service: svc, staticDir: await buildRenderer() });
  });
  afterAll(async () => {
    await server?.close();
    await svc?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('finds the instructed picture near the top of a composed search', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1360, height: 860 }, colorScheme: 'dark' });
      page.setDefaultTimeout(30_000);
      await page.goto(server.url);
      await page.getByRole('button', { name: 'Add a folder' }).click();
      await page.getByLabel('Folder path').fill(photos);
      await page.getByRole('dialog', { name: 'Add folder' }).getByRole('button', { name: 'Add folder' }).click();
      await page.getByTestId('progress').and(page.locator('[data-state="idle"]')).waitFor({ timeout: 60_000 });
      await page.getByRole('button', { name: /^Models/ }).click(); // (not a banner's "Other models")
      await expect(page.locator('.model.active .badge.demo').count()).resolves.toBe(1);
      await page.getByRole('button', { name: /All photos/ }).click();
      let hitsAt1 = 0;
      let hitsInTop5 = 0;
      const tried = held.queries.slice(0, 8);
      for (const [i, q] of tried.entries()) {
        await page.getByRole('button', { name: /All photos/ }).click();
        await page.getByLabel('Sort photos').selectOption('name');
        const tile = page.locator(`.tile[aria-label="${q.query}"]`);
        await tile.scrollIntoViewIfNeeded();
        await tile.click({ button: 'right' });
        await page.getByRole('menuitem', { name: 'Find related…' }).click();
        await page.getByLabel('Instruction').fill(q.instruction);
        await page.keyboard.press('Enter');
        await page.getByText(`“${q.instruction}”`).first().waitFor();
        await expect.poll(() => page.locator('.tile').count(), { timeout: 20_000 }).toBeGreaterThan(4);
        const top = (await page.locator('.tile').evaluateAll((els) => els.slice(0, 5).map((e) => e.getAttribute('data-name')))) as string[]; // (a scored tile's name also carries its score)
        if (q.positives.includes(top[0]!)) hitsAt1++;
        if (top.some((n) => q.positives.includes(n))) hitsInTop5++;
        if (i === 0) await page.screenshot({ path: path.join(ARTIFACTS, 'demo-compose.png') });
      }
      // Measured through the UI with the committed pack: 7/8 first, 8/8 in the top 5 (on all 83 gate
      // queries through the API: R@1 0.916, R@5 1.000; models/README.md "Gates"). The bar (7/8 each) sits
      // at the measured first-place count and one query under the top-5 count.
      console.log(`demo pack in the UI: the correct picture first for ${hitsAt1}/${tried.length} composed queries, in the top 5 for ${hitsInTop5}/${tried.length}`);
      expect(hitsAt1).toBeGreaterThanOrEqual(tried.length - 1);
      expect(hitsInTop5).toBeGreaterThanOrEqual(tried.length - 1);
    } finally {
      await browser.close();
    }
  });
});

/**
 * axe-core (WCAG 2.2 A/AA, as tests/e2e/a11y.test.ts runs it) over one part of the page, in both themes.
 * Scoped to what this feature adds (the welcome's body, the suggestion chips); the whole app's states
 * are a11y.test.ts's job.
 */
async function axeBothThemes(page: import('playwright-core').Page, state: string, selector: string): Promise<string[]> {
  await page.evaluate(fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));
  const out: string[] = [];
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    const found = await page.evaluate(async ({ tags, selector }) => {
      type AxeRun = (ctx: unknown, opts: unknown) => Promise<{ violations: { id: string; nodes: { target: unknown[] }[] }[] }>;
      const axe = (globalThis as unknown as { axe: { run: AxeRun } }).axe;
      const r = await axe.run({ include: [[selector]] }, { runOnly: { type: 'tag', values: tags }, rules: { 'label-content-name-mismatch': { enabled: true } }, resultTypes: ['violations'] });
      return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
    }, { tags: WCAG_TAGS, selector });
    expect(await page.locator(selector).count(), selector).toBeGreaterThan(0);
    out.push(...found.map((f) => `${state} ${theme}: ${f}`));
  }
  return out;
}

interface SamplesManifest {
  suggestions: { kind: string; instruction: string; query: string; expected: string[] }[];
}

describe.skipIf(skip !== null || !fs.existsSync(path.join(BUNDLED_SAMPLES_DIR, 'samples.json')))('sample photos from the welcome screen', () => {
  let tmp: string;
  let svc: EngineService;
  let server: RunningServer;
  const manifest = JSON.parse(fs.readFileSync(path.join(BUNDLED_SAMPLES_DIR, 'samples.json'), 'utf8')) as SamplesManifest;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-e2e-samples-'));
    svc = await createService({ dataDir: path.join(tmp, 'data'), watch: false, threads: 2 });
    server = await startServer({ service: svc, staticDir: await buildRenderer() });
  });
  afterAll(async () => {
    await server?.close();
    await svc?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('welcome → "Try it on sample photos" → each suggested search ranks its expected photo first', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1360, height: 860 }, colorScheme: 'dark' });
      page.setDefaultTimeout(30_000);
      await page.goto(server.url);
      await page.getByRole('heading', { name: 'Welcome to MagicLens' }).waitFor();
      await page.screenshot({ path: path.join(ARTIFACTS, 'samples-welcome.png') });
      const violations = await axeBothThemes(page, 'welcome', '.empty');
      await page.getByRole('button', { name: 'Try it on sample photos' }).click();
      await page.getByTestId('progress').and(page.locator('[data-state="idle"]')).waitFor({ timeout: 90_000 });
      const chips = page.getByRole('group', { name: 'Suggested searches' }).getByRole('button');
      await expect.poll(() => chips.count(), { timeout: 20_000 }).toBe(manifest.suggestions.length);
      // Each chip shows its query photo once it is indexed.
      await expect.poll(() => page.locator('[data-testid="sample-search"] img').count(), { timeout: 20_000 }).toBe(manifest.suggestions.length);
      await page.screenshot({ path: path.join(ARTIFACTS, 'samples-added.png') });
      violations.push(...(await axeBothThemes(page, 'suggested searches', '[role="group"][aria-label="Suggested searches"]')));
      expect(violations.join('\n')).toBe('');
      // The copies live in the data folder, not beside the app's bundled originals.
      const folders = await svc.handlers['folders.list']({});
      expect(folders.map((f) => f.path)).toEqual([fs.realpathSync(path.join(tmp, 'data', 'samples'))]);
      expect(folders[0]!.photoCount).toBe(fs.readdirSync(path.join(BUNDLED_SAMPLES_DIR, 'photos')).length);

      for (const [i, s] of manifest.suggestions.entries()) {
        await page.getByRole('button', { name: /All photos/ }).click();
        await page.getByRole('group', { name: 'Suggested searches' }).getByRole('button').nth(i).click();
        await page.getByText(`“${s.instruction}”`).first().waitFor();
        await expect.poll(() => page.locator('.tile').count(), { timeout: 20_000 }).toBeGreaterThan(1);
        await expect(page.getByLabel('Instruction').inputValue()).resolves.toBe(s.instruction);
        const first = await page.locator('.tile').first().getAttribute('data-name');
        expect(s.expected, `${s.kind}: ${s.query} + "${s.instruction}"`).toContain(first);
        if (i === 0) await page.screenshot({ path: path.join(ARTIFACTS, 'samples-search.png') });
      }
    } finally {
      await browser.close();
    }
  });
});
