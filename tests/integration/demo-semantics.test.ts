// The committed demo pack has real semantics: held-out synthetic photos (pages of the demo world that
// training never saw) are written to a temp folder, indexed by the real service (SQLite, sqlite-vec,
// sharp, ORT), and searched through the API with photo + instruction. The photos come from the world
// generator in models/python at test time, so the repo carries no image fixtures.
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
    execFileSync(PYTHON, [path.join(APP_ROOT, 'models', 'python', 'make_heldout.py'), photos, '--pages', '24'], { stdio: 'pipe' });
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

  // Issue 4's bar: photo + instruction R@1 >= 0.9 on these 39 held-out queries, the query photo left out
  // as the app does by default (models/README.md, "Training", has the measured value).
  const R1_TARGET = 0.9;

  it('photo + instruction finds the target (R@1 >= 0.9)', async () => {
    expect(held.queries.length).toBeGreaterThanOrEqual(30);
    let hits1 = 0;
    let hits5 = 0;
    const misses: string[] = [];
    for (const q of held.queries) {
      const id = idByName.get(q.query);
      expect(id, q.query).toBeDefined();
      const r = await svc.handlers['search.compose']({ photo: { id: id! }, instruction: q.instruction, includeQueryPhoto: false, offset: 0, limit: 5, filters: {} });
      const names = r.hits.map((h) => nameById.get(h.photo.id) ?? h.photo.name);
      if (q.positives.includes(names[0]!)) hits1++;
      else misses.push(`${q.query} "${q.instruction}" -> ${names[0]} (want ${q.positives.join('|')})`);
      if (names.some((n) => q.positives.includes(n))) hits5++;
    }
    const r1 = hits1 / held.queries.length;
    console.log(`demo-semantics: ${held.queries.length} queries over ${idByName.size} photos: R@1 ${r1.toFixed(3)} (target ${R1_TARGET}), R@5 ${(hits5 / held.queries.length).toFixed(3)}`
      + (misses.length ? `\n  misses:\n  ${misses.join('\n  ')}` : ''));
    expect(r1).toBeGreaterThanOrEqual(R1_TARGET);
  });

  it('the instruction matters: one photo with two instructions ranks two different photos first', async () => {
    // Query photos that have two mined instructions leading to different targets.
    const byQuery = new Map<string, Held['queries']>();
    for (const q of held.queries) byQuery.set(q.query, [...(byQuery.get(q.query) ?? []), q]);
    const cases = [...byQuery.values()].filter((qs) => qs.length >= 2 && qs[0]!.target !== qs[1]!.target);
    expect(cases.length).toBeGreaterThanOrEqual(3);
    let differ = 0;
    for (const qs of cases) {
      const tops = [];
      for (const q of qs.slice(0, 2)) {
        const r = await svc.handlers['search.compose']({ photo: { id: idByName.get(q.query)! }, instruction: q.instruction, includeQueryPhoto: false, offset: 0, limit: 1, filters: {} });
        tops.push(r.hits[0]!.photo.id);
      }
      if (tops[0] !== tops[1]) differ++;
    }
    console.log(`demo-semantics: ${differ}/${cases.length} photos get different top results for their two instructions`);
    expect(differ / cases.length).toBeGreaterThan(0.5);
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
    expect(r1).toBeGreaterThanOrEqual(0.5);
  });
});
