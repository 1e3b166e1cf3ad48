// The committed demo pack has real semantics: held-out synthetic photos (pages of the demo world that
// training never saw) are written to a temp folder, indexed by the real service (SQLite, sqlite-vec,
// sharp, ORT), and searched through the API with photo + instruction. The photos come from the world
// generator in models/python at test time, so the repo carries no image fixtures.
// The pages are the GATE pages (test pages 1000-1047): disjoint from the pages any training setting was
// compared or reported on (0-299), so the bars below are not fitted to them (models/README.md, "Gates").
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type EngineService } from '../../app/service.js';
import { APP_ROOT, BUNDLED_PACKS_DIR } from '../../app/paths.js';

// Debian's python3 carries numpy + PIL (the one first on PATH may not); override with MAGICLENS_PYTHON.
const PYTHON = process.env.MAGICLENS_PYTHON ?? '/usr/bin/python3';
const DEMO = path.join(BUNDLED_PACKS_DIR, 'demo', 'manifest.json');

function pythonReady(): string | null {
  if (!fs.existsSync(DEMO)) return `demo pack missing at ${DEMO}`;
  try {
    execFileSync(PYTHON, ['-c', 'import numpy, PIL'], { stdio: 'ignore' });
    return null;
  } catch {
    return `${PYTHON} with numpy and PIL is needed to render the held-out photos (set MAGICLENS_PYTHON)`;
  }
}
const skipReason = pythonReady();
if (skipReason) console.warn(`demo-semantics: skipped: ${skipReason}`);

const GATE_FIRST = 1000;
const GATE_PAGES = 48;

/** Exact one-sided (Clopper-Pearson) lower confidence bound of a binomial proportion k/n. */
function binomialLowerBound(k: number, n: number, alpha = 0.05): number {
  if (k === 0) return 0;
  // P(X >= k | p) rises with p: bisect for the p where it equals alpha.
  const tail = (p: number) => {
    let term = (1 - p) ** n; // P(X = 0)
    let cdf = 0;
    for (let i = 0; i < k; i++) {
      cdf += term;
      term *= ((n - i) / (i + 1)) * (p / (1 - p));
    }
    return 1 - cdf;
  };
  let lo = 0;
  let hi = k / n;
  for (let it = 0; it < 60; it++) {
    const mid = (lo + hi) / 2;
    if (tail(mid) < alpha) lo = mid;
    else hi = mid;
  }
  return lo;
}

interface Held {
  photos: { file: string; key: unknown[] | null; role: string; caption: string | null }[];
  queries: { query: string; instruction: string; target: string; positives: string[] }[];
}

describe.skipIf(skipReason !== null)('demo pack semantics on held-out synthetic photos', () => {
  let tmp: string;
  let svc: EngineService;
  let held: Held;
  const idByName = new Map<string, number>();
  const nameById = new Map<number, string>();

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-demo-sem-'));
    const photos = path.join(tmp, 'photos');
    execFileSync(PYTHON, [path.join(APP_ROOT, 'models', 'python', 'make_heldout.py'), photos, '--first', String(GATE_FIRST), '--pages', String(GATE_PAGES)], { stdio: 'pipe' });
    held = JSON.parse(fs.readFileSync(path.join(photos, 'queries.json'), 'utf8')) as Held;
    fs.rmSync(path.join(photos, 'queries.json')); // only photos in the library folder
    svc = await createService({ dataDir: path.join(tmp, 'data'), watch: false, threads: 2 });
    await svc.handlers['folders.add']({ path: photos, exclude: [] });
    await svc.whenIdle();
    const list = await svc.handlers['photos.list']({ offset: 0, limit: 1000, sort: 'name' });
    for (const p of list.items) {
      idByName.set(p.name, p.id);
      nameById.set(p.id, p.name);
    }
  });

  afterAll(async () => {
    await svc?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('indexes every held-out photo with the bundled demo model', async () => {
    const status = await svc.handlers['status.get']({});
    expect(JSON.stringify(status)).toContain('magiclens-demo');
    expect(idByName.size).toBe(held.photos.length);
  });

  // Measured on these gate pages with the committed pack: see models/README.md ("Gates") for the
  // figures and the 95% lower bounds; each bar sits a few queries under what was measured.
  const R1_BAR = 0.9; // measured 76/83 = 0.916 (the previous pack: 79/83); the bar is 75/83 (1 query of margin: ORT on CPU is deterministic)
  const INSTRUCTION_BAR = 0.77; // measured 65/83 = 0.783 (the previous pack: 70/83); the bar is 64/83 (1 case of margin)

  async function top(q: { query: string; instruction: string }, limit = 5): Promise<string[]> {
    const r = await svc.handlers['search.compose']({ photo: { id: idByName.get(q.query)! }, instruction: q.instruction, includeQueryPhoto: false, offset: 0, limit, filters: {} });
    return r.hits.map((h) => nameById.get(h.photo.id) ?? h.photo.name);
  }

  it('the binomial lower bound is the exact Clopper-Pearson one', () => {
    expect(binomialLowerBound(10, 10)).toBeCloseTo(0.05 ** (1 / 10), 6); // 0.7411
    expect(binomialLowerBound(5, 10)).toBeCloseTo(0.2224, 4);
    expect(binomialLowerBound(0, 10)).toBe(0);
  });

  it('photo + instruction finds the target on the gate pages (R@1 bar, 95% lower bound printed)', async () => {
    expect(held.queries.length).toBeGreaterThanOrEqual(60);
    let hits1 = 0;
    let hits5 = 0;
    const misses: string[] = [];
    for (const q of held.queries) {
      expect(idByName.get(q.query), q.query).toBeDefined();
      const names = await top(q);
      if (q.positives.includes(names[0]!)) hits1++;
      else misses.push(`${q.query} "${q.instruction}" -> ${names[0]} (want ${q.positives.join('|')})`);
      if (names.some((n) => q.positives.includes(n))) hits5++;
    }
    const n = held.queries.length;
    const r1 = hits1 / n;
    console.log(`demo-semantics: gate pages ${GATE_FIRST}-${GATE_FIRST + GATE_PAGES - 1}, ${n} queries over ${idByName.size} photos: R@1 ${hits1}/${n} = ${r1.toFixed(3)} `
      + `(95% lower bound ${binomialLowerBound(hits1, n).toFixed(3)}, bar ${R1_BAR}), R@5 ${(hits5 / n).toFixed(3)}`
      + (misses.length ? `\n  misses:\n  ${misses.join('\n  ')}` : ''));
    expect(r1).toBeGreaterThanOrEqual(R1_BAR);
  });

  it('the instruction matters: the same photo with another relation\'s instruction ranks a different photo first', async () => {
    // Every gate query against itself with a swapped instruction: the next query's whose target differs
    // in an attribute this query's target keeps. If the instruction did not matter the top would not move.
    const keyOf = new Map(held.photos.map((p) => [p.file, JSON.stringify(p.key)]));
    const cases = held.queries.flatMap((q, i) => {
      const other = [...held.queries.slice(i + 1), ...held.queries.slice(0, i)].find((o) => keyOf.get(o.target) !== keyOf.get(q.target) && o.instruction !== q.instruction);
      return other ? [{ q, swapped: other.instruction }] : [];
    });
    expect(cases.length).toBeGreaterThanOrEqual(30);
    let differ = 0;
    let ownFirst = 0;
    let swappedFirst = 0;
    for (const { q, swapped } of cases) {
      const [a] = await top(q, 1);
      const [b] = await top({ query: q.query, instruction: swapped }, 1);
      if (a !== b) differ++;
      if (q.positives.includes(a!)) ownFirst++;
      if (q.positives.includes(b!)) swappedFirst++;
    }
    const n = cases.length;
    console.log(`demo-semantics: instruction swapped on ${n} cases: top result differs ${differ}/${n} (95% lower bound ${binomialLowerBound(differ, n).toFixed(3)}, bar ${INSTRUCTION_BAR}); `
      + `the query's own target first with its own instruction ${ownFirst}/${n}, with the swapped one ${swappedFirst}/${n}`);
    expect(differ / n).toBeGreaterThanOrEqual(INSTRUCTION_BAR);
    // The right answer comes from the instruction, not from the photo alone.
    expect(ownFirst - swappedFirst).toBeGreaterThanOrEqual(n / 2);
  });

  it('text search finds photos by their description (text -> CLIP image)', async () => {
    const items = held.photos.filter((p) => p.role === 'item' && p.caption);
    let ok = 0;
    for (const p of items) {
      const r = await svc.handlers['search.text']({ text: p.caption!, offset: 0, limit: 1, filters: {} });
      const top = held.photos.find((x) => x.file === nameById.get(r.hits[0]!.photo.id));
      if (JSON.stringify(top?.key) === JSON.stringify(p.key)) ok++;
    }
    const r1 = ok / items.length;
    console.log(`demo-semantics: text->image R@1 ${r1.toFixed(3)} over ${items.length} captions`);
    expect(r1).toBeGreaterThanOrEqual(0.94); // measured 109/114 = 0.956 on the gate pages (the previous pack: 107/114); bar 108/114
  });
});
