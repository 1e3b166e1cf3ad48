// `npm run bench:quality` — retrieval quality tables with the paper's metrics (bench/eval/metrics.ts).
//   default: the demo pack on the synthetic held-out set (models/python's generator) and on the shared fashion
//            photos with label-derived queries, each with text-only and image-similarity baselines
//   --dataset cirr|circo|fashioniq|dtin|genecis|sketch|fashion --root DIR: a local copy of a public benchmark
//            in its published layout (see bench/eval/datasets/index.ts), printing the paper's columns
//   --pack ID|DIR    model pack (an installed/bundled id or a folder; default: the bundled demo pack)
//   --modes composed,text,image   --limit N (queries)   --threads N   --split val   --json-only
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DATASETS, type ResultTable } from './eval/datasets/index.js';
import type { Mode } from './eval/datasets/common.js';
import { runFashion } from './eval/datasets/fashion.js';
import { openPackModel, type EncodedImages, type EvalModel } from './eval/model.js';
import { ModelRegistry } from '../app/model/registry.js';
import { BUNDLED_PACKS_DIR, defaultDataDir, sharedDir } from '../app/paths.js';
import { runHeldOut, heldOutRoot } from './lib/heldout.js';
import { parseArgs, printTable, writeResults } from './lib/report.js';

const args = parseArgs(process.argv.slice(2));
const log = (s: string) => process.stderr.write(`${s}\n`);

async function resolvePack(spec: string | undefined): Promise<string> {
  if (spec && fs.existsSync(path.join(spec, 'manifest.json'))) return path.resolve(spec);
  const reg = new ModelRegistry(defaultDataDir());
  if (spec) return (await reg.get(spec)).dir;
  const demo = path.join(BUNDLED_PACKS_DIR, 'demo');
  if (fs.existsSync(path.join(demo, 'manifest.json'))) return demo;
  const active = reg.active();
  if (active) return (await reg.get(active)).dir;
  throw new Error('no model pack: pass --pack ID|DIR (no bundled demo pack and no installed pack found)');
}

/** Gallery embeddings cached per (pack files, image list) in the temp folder: re-runs skip the encoding. */
function galleryCache(model: EvalModel, packDir: string) {
  return async (ids: string[], compute: () => Promise<EncodedImages>): Promise<EncodedImages> => {
    const manifest = fs.readFileSync(path.join(packDir, 'manifest.json'));
    const key = crypto.createHash('sha256').update(manifest).update(ids.join('\n')).digest('hex').slice(0, 16);
    const file = path.join(os.tmpdir(), 'magiclens-bench-cache', `${model.id}-${key}.bin`);
    const n = ids.length * model.dim;
    if (fs.existsSync(file) && fs.statSync(file).size === n * 12) {
      const all = new Float32Array(new Uint8Array(fs.readFileSync(file)).buffer);
      log(`[quality] gallery embeddings from cache ${file}`);
      return { clip: all.slice(0, n), target: all.slice(n, 2 * n), clipRaw: all.slice(2 * n) };
    }
    const e = await compute();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const all = new Float32Array(3 * n);
    all.set(e.clip, 0); all.set(e.target, n); all.set(e.clipRaw, 2 * n);
    fs.writeFileSync(file, Buffer.from(all.buffer));
    return e;
  };
}

function print(t: ResultTable, model: EvalModel): void {
  printTable(`${t.title} — pack ${model.id}${model.demo ? ' (demo)' : ''}`, ['method', ...t.columns], t.rows.map((r) => [r.label, ...r.values]));
  for (const n of t.notes) process.stdout.write(`  note: ${n}\n`);
}

async function main(): Promise<number> {
  const ds = args.get('dataset');
  if (typeof ds === 'string' && !DATASETS[ds]) throw new Error(`unknown --dataset ${ds}; one of ${Object.keys(DATASETS).join(', ')}`);
  if (typeof ds === 'string' && typeof args.get('root') !== 'string') throw new Error(`--dataset ${ds} needs --root DIR (layout: ${DATASETS[ds]?.layout})`);
  const packDir = await resolvePack(args.get('pack') as string | undefined);
  const threads = Number(args.get('threads') ?? Math.min(2, os.cpus().length));
  const modes = args.has('modes') ? (String(args.get('modes')).split(',') as Mode[]) : undefined;
  const limit = args.has('limit') ? Number(args.get('limit')) : undefined;
  const model = await openPackModel(packDir, { threads });
  log(`[quality] pack ${model.id} (${model.demo ? 'demo' : 'real'}), dim ${model.dim}, from ${packDir}`);
  const tables: ResultTable[] = [];
  const t0 = Date.now();
  try {
    const dataset = args.get('dataset');
    if (typeof dataset === 'string') {
      const d = DATASETS[dataset];
      if (!d) throw new Error(`unknown --dataset ${dataset}; one of ${Object.keys(DATASETS).join(', ')}`);
      const root = args.get('root');
      if (typeof root !== 'string') throw new Error(`--dataset ${dataset} needs --root DIR (layout: ${d.layout})`);
      const extra: Record<string, unknown> = {};
      if (args.has('instruction')) extra.instruction = String(args.get('instruction'));
      tables.push(await d.run({ root, model, modes, limit, split: args.get('split') as string | undefined, log, ...extra }));
    } else {
      const held = await heldOutRoot(log);
      if (held) tables.push(await runHeldOut({ root: held, model, modes, limit, log }));
      else log('[quality] synthetic held-out set: not available (models/python generator missing) — skipped');
      const fashion = path.join(sharedDir(), 'datasets', 'fashion');
      if (fs.existsSync(path.join(fashion, 'labels.csv'))) {
        tables.push(await runFashion({ root: fashion, model, modes, limit, perTask: Number(args.get('per-task') ?? 200), log, galleryCache: galleryCache(model, packDir) }));
      } else log(`[quality] fashion: ${fashion} not found — skipped`);
    }
  } finally {
    await model.close();
  }
  for (const t of tables) print(t, model);
  // The committed quality-latest.json is the default run; a --dataset run gets its own name
  const file = writeResults(typeof args.get('dataset') === 'string' ? `quality-${String(args.get('dataset'))}` : 'quality', { pack: { id: model.id, demo: model.demo, dir: packDir }, seconds: (Date.now() - t0) / 1000, tables });
  process.stdout.write(`\nresults: ${file}\n`);
  return 0;
}

main().then((code) => { process.exitCode = code; }, (e: Error) => { process.stderr.write(`bench:quality: ${e.message}\n`); process.exitCode = 1; });
