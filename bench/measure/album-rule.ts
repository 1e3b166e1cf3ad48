// Measures smart-album membership rules on labelled data: held-out pictures of the demo world
// (models/python/make_heldout.py writes them with queries.json: query photo, instruction, and every
// photo that is a correct answer). For each query we rank the whole library once, then compare
// rules by the F1 of the album's membership against the correct answers:
//   flat   — score ≥ t (one cosine cutoff for every query)
//   relative — score ≥ best − m (the rule the app offers besides top-N)
//   topN   — the N best
// Each rule's parameter is chosen on half the queries and reported on the other half (and the
// halves swapped), so no rule is scored on the data its parameter was tuned on.
//
// usage: npx tsx bench/measure/album-rule.ts PACK_DIR HELDOUT_DIR
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ModelRegistry } from '../../app/model/registry.js';
import { createService } from '../../app/service.js';

const [packDir, heldout] = process.argv.slice(2);
if (!packDir || !heldout) {
  console.error('usage: tsx bench/measure/album-rule.ts PACK_DIR HELDOUT_DIR');
  process.exit(2);
}
interface Q { query: string; instruction: string; positives: string[] }
const spec = JSON.parse(fs.readFileSync(path.join(heldout, 'queries.json'), 'utf8')) as { queries: Q[] };

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-rule-'));
const reg = new ModelRegistry(home, path.join(home, 'none'));
const pack = await reg.install(packDir);
reg.setActive(pack.manifest.id);
const svc = await createService({ dataDir: home, bundledPacksDir: path.join(home, 'none'), watch: false });
await svc.handlers['folders.add']({ path: heldout, exclude: [] });
await svc.scansIdle();
await svc.whenIdle();
const photos = (await svc.handlers['photos.list']({ offset: 0, limit: 1000, sort: 'name' })).items;
const idOf = new Map(photos.map((p) => [p.name, p.id]));

interface Ranked { scores: number[]; relevant: boolean[]; nPos: number }
const ranked: Ranked[] = [];
for (const q of spec.queries) {
  const qid = idOf.get(q.query);
  if (qid === undefined) continue;
  const r = await svc.handlers['search.compose']({ photo: { id: qid }, instruction: q.instruction, includeQueryPhoto: false, offset: 0, limit: 1000, filters: {} });
  const pos = new Set(q.positives.map((f) => idOf.get(f)).filter((x): x is number => x !== undefined && x !== qid));
  if (pos.size === 0) continue;
  ranked.push({ scores: r.hits.map((h) => h.score), relevant: r.hits.map((h) => pos.has(h.photo.id)), nPos: pos.size });
}
await svc.close();

type Rule = (r: Ranked, p: number) => number; // how many of the ranked list are members
const rules: Record<string, { fn: Rule; grid: number[] }> = {
  flat: { fn: (r, t) => r.scores.filter((s) => s >= t).length, grid: Array.from({ length: 201 }, (_, i) => -1 + i * 0.01) },
  relative: { fn: (r, m) => r.scores.filter((s) => s >= r.scores[0]! - m).length, grid: Array.from({ length: 101 }, (_, i) => i * 0.005) },
  topN: { fn: (_r, n) => n, grid: Array.from({ length: 30 }, (_, i) => i + 1) },
};
function f1(r: Ranked, k: number): number {
  const tp = r.relevant.slice(0, k).filter(Boolean).length;
  if (tp === 0) return 0;
  const p = tp / k;
  const rec = tp / r.nPos;
  return (2 * p * rec) / (p + rec);
}
const meanF1 = (rs: Ranked[], fn: Rule, p: number) => rs.reduce((s, r) => s + f1(r, fn(r, p)), 0) / rs.length;
const halves = [ranked.filter((_, i) => i % 2 === 0), ranked.filter((_, i) => i % 2 === 1)];
console.log(`${ranked.length} queries, ${photos.length} photos, model ${pack.manifest.id}`);
for (const [name, { fn, grid }] of Object.entries(rules)) {
  const res = [0, 1].map((h) => {
    const train = halves[h]!;
    const test = halves[1 - h]!;
    const best = grid.reduce((b, p) => (meanF1(train, fn, p) > meanF1(train, fn, b) ? p : b), grid[0]!);
    return { param: best, trainF1: meanF1(train, fn, best), testF1: meanF1(test, fn, best) };
  });
  const oracle = Math.max(...grid.map((p) => meanF1(ranked, fn, p)));
  console.log(
    `${name.padEnd(9)} held-out F1 ${((res[0]!.testF1 + res[1]!.testF1) / 2).toFixed(3)}  (params ${res.map((r) => r.param.toFixed(3)).join(' / ')}; best-in-hindsight F1 ${oracle.toFixed(3)})`,
  );
}
fs.rmSync(home, { recursive: true, force: true });
