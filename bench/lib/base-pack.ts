// A pack of the exact official MagicLens-base shape with random weights (real FLOPs, meaningless outputs), built
// once with the model port's own checkpoint writer + converter and cached in the temp folder. The converter runs
// in a child process so its peak memory is not charged to the benchmark that follows.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sharedDir } from '../../app/paths.js';
import { randomFill, writeFlaxCheckpoint } from '../../models/ts/checkpoint-writer.js';
import { BENCH_DIR } from './report.js';

function converterHash(): string {
  const h = crypto.createHash('sha256');
  const root = path.resolve(BENCH_DIR, '..');
  for (const d of ['models/ts', 'app/model']) {
    const dir = path.join(root, d);
    for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.ts')) h.update(f).update(fs.readFileSync(path.join(dir, f)));
  }
  return h.digest('hex').slice(0, 12);
}

export function basePackCacheDir(): string {
  return path.join(os.tmpdir(), 'magiclens-bench-base-pack');
}

export async function baseShapePack(log: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<string> {
  // keyed by the converter's sources: a changed converter rebuilds the pack
  const out = path.join(basePackCacheDir(), `pack-${converterHash()}`);
  if (fs.existsSync(path.join(out, 'manifest.json'))) return out;
  const ref = path.join(sharedDir(), 'reference', 'magiclens');
  const treeFile = path.join(ref, 'param_tree_base.json');
  if (!fs.existsSync(treeFile)) throw new Error(`base-shape pack: ${treeFile} is missing (the shared reference data is needed to know the official tree)`);
  const tree = JSON.parse(fs.readFileSync(treeFile, 'utf8')) as { params: { path: string; shape: number[] }[] };
  const work = path.join(basePackCacheDir(), `tmp-${process.pid}`);
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const ckpt = path.join(work, 'magic_lens_clip_base_random.pkl');
  const t0 = Date.now();
  log('[base pack] writing a random-weight checkpoint of the official base tree (≈ 635 MiB)…');
  writeFlaxCheckpoint(ckpt, tree.params.map((p, i) => ({
    path: p.path, shape: p.shape,
    // LayerNorm scales near 1 for CLIP (MagicLens stores scale-1), everything else small: keeps activations sane
    fill: p.path.endsWith('/scale') && p.path.includes('/clip/')
      ? (o: Float32Array) => { randomFill(i, 0.1)(o); for (let j = 0; j < o.length; j++) o[j] = (o[j] as number) + 1; }
      : randomFill(i + 1, 0.02),
  })), { protocol: 4 });
  log(`[base pack] converting with models/ts/convert-cli.ts…`);
  const root = path.resolve(BENCH_DIR, '..');
  execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'models/ts/convert-cli.ts'), '--checkpoint', ckpt, '--vocab', path.join(ref, 'bpe_simple_vocab_16e6.txt.gz'), '--out', path.join(work, 'pack'), '--id', 'random-base-bench'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  fs.rmSync(ckpt, { force: true });
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.renameSync(path.join(work, 'pack'), out);
  for (const old of fs.readdirSync(basePackCacheDir())) if (old.startsWith('pack-') && path.join(basePackCacheDir(), old) !== out) fs.rmSync(path.join(basePackCacheDir(), old), { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
  log(`[base pack] ready in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${out}`);
  return out;
}
