// `npx tsx scripts/make-samples.ts` — rebuild models/samples: the demo world's sample library that
// "Try it on sample photos" (and `magiclens samples`) adds, plus its three suggested searches.
// 1. models/python/make_samples.py renders the photos of the world's 'sample' split (never trained on,
//    never used to choose anything) and lists candidate (query, instruction, expected) searches;
// 2. the photos are indexed by the app's own service with the bundled demo pack, and for each relation
//    the wording the pack answers best (most candidates with the expected photo first) and its first
//    such candidate in page order become the suggestion. The counts per wording are written beside it:
//    the pick is a showcase chosen on these photos, not a measurement (models/README.md has those).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APP_ROOT } from '../app/paths.js';
import { createService, type EngineService } from '../app/service.js';

const PYTHON = process.env.MAGICLENS_PYTHON ?? '/usr/bin/python3';
const OUT = path.join(APP_ROOT, 'models', 'samples');

interface Candidates {
  world_seed: number;
  split: string;
  pages: number;
  kinds: Record<string, { title: string; wordings: string[] }>;
  photos: { file: string }[];
  candidates: { kind: string; query: string; target: string; positives: string[] }[];
}

async function topName(svc: EngineService, ids: Map<string, number>, names: Map<number, string>, query: string, instruction: string): Promise<string | undefined> {
  const r = await svc.handlers['search.compose']({ photo: { id: ids.get(query)! }, instruction, includeQueryPhoto: false, offset: 0, limit: 1, filters: {} });
  return r.hits[0] ? names.get(r.hits[0].photo.id) : undefined;
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-make-samples-'));
  try {
    const photos = path.join(tmp, 'photos');
    process.stderr.write(execFileSync(PYTHON, [path.join(APP_ROOT, 'models', 'python', 'make_samples.py'), photos], { encoding: 'utf8' }));
    const cand = JSON.parse(fs.readFileSync(path.join(photos, 'candidates.json'), 'utf8')) as Candidates;
    fs.rmSync(path.join(photos, 'candidates.json'));
    const svc = await createService({ dataDir: path.join(tmp, 'data'), watch: false, threads: 2 });
    try {
      await svc.handlers['folders.add']({ path: photos, exclude: [] });
      await svc.whenIdle();
      const list = await svc.handlers['photos.list']({ offset: 0, limit: 1000, sort: 'name' });
      const ids = new Map(list.items.map((p) => [p.name, p.id]));
      const names = new Map(list.items.map((p) => [p.id, p.name]));
      const status = await svc.handlers['status.get']({});
      const suggestions = [];
      const measured: Record<string, Record<string, string>> = {};
      for (const [kind, { title, wordings }] of Object.entries(cand.kinds)) {
        const pool = cand.candidates.filter((c) => c.kind === kind);
        let best: { right: number; query: string; instruction: string; expected: string[] } | null = null;
        measured[kind] = {};
        for (const wording of wordings) {
          const right = [];
          for (const c of pool) if (c.positives.includes((await topName(svc, ids, names, c.query, wording)) ?? '')) right.push(c);
          measured[kind][wording] = `${right.length}/${pool.length}`;
          if (right[0] && (!best || right.length > best.right)) best = { right: right.length, query: right[0].query, instruction: wording, expected: right[0].positives };
        }
        if (!best) throw new Error(`no ${kind} candidate is answered correctly by the bundled pack`);
        suggestions.push({ kind, title, query: best.query, instruction: best.instruction, expected: best.expected });
      }
      fs.rmSync(path.join(OUT, 'photos'), { recursive: true, force: true });
      fs.mkdirSync(OUT, { recursive: true });
      fs.cpSync(photos, path.join(OUT, 'photos'), { recursive: true });
      const json = { worldSeed: cand.world_seed, split: cand.split, pages: cand.pages, photos: cand.photos.length, pickedWith: JSON.stringify(status).match(/magiclens-[a-z0-9-]+/)?.[0] ?? null, measured, suggestions };
      fs.writeFileSync(path.join(OUT, 'samples.json'), JSON.stringify(json, null, 1) + '\n');
      console.log(JSON.stringify({ photos: cand.photos.length, measured, suggestions }, null, 1));
    } finally {
      await svc.close();
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
