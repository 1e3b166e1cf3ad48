// Peak RSS while indexing, through the real Service in a fresh child process (bench/service-child.ts
// `index`): eight 13000×13000 greyscale PNGs (decompression bombs under the 180 MP per-file limit,
// ~165 KB each, 507 MB each once decoded to RGB), and N photos copied from the fashion dataset. The
// images are made in a temp folder at run time and removed after; nothing is committed.
//   npx tsx bench/measure/decode-rss.ts [--pack DIR] [--only bombs|fashion] [--n 1000]
// --pack defaults to the base-shape random pack (bench/lib/base-pack.ts, built once and cached).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { sharedDir } from '../../app/paths.js';
import { loadPack } from '../../app/model/pack.js';
import { withMemoryTunables } from '../../app/process-env.js';
import { baseShapePack } from '../lib/base-pack.js';
import { BENCH_DIR, parseArgs } from '../lib/report.js';

const args = parseArgs(process.argv.slice(2));
const log = (s: string) => process.stderr.write(`${s}\n`);
const only = typeof args.get('only') === 'string' ? (args.get('only') as string) : null;

function indexChild(packDir: string, id: string, folder: string): { maxRssMiB: number; peakRssMiB: number; wallMs: number; status: { photos: Record<string, number> } } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, 'service-child.ts'), 'index', '--packs-dir', path.dirname(packDir), '--pack-id', id, '--folder', folder, '--threads', '2'], {
    cwd: path.resolve(BENCH_DIR, '..'),
    // as `magiclens index` and the desktop app's service host start it (app/process-env.ts)
    env: withMemoryTunables(process.env),
    encoding: 'utf8',
    timeout: 30 * 60_000,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`index child failed (${r.status ?? r.signal}): ${(r.stderr ?? '').trim().split('\n').slice(-5).join(' | ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ReturnType<typeof indexChild>;
}

async function bombs(dir: string): Promise<void> {
  for (let i = 0; i < 8; i++) {
    // A distinct grey level each, so no two files share a hash (duplicates would skip the decode).
    const v = 40 + i * 20;
    await sharp({ create: { width: 13000, height: 13000, channels: 3, background: { r: v, g: v, b: v } }, limitInputPixels: false })
      .greyscale()
      .png({ compressionLevel: 9 })
      .toFile(path.join(dir, `bomb-${i}.png`));
  }
}

function fashion(dir: string, n: number): void {
  const src = path.join(sharedDir(), 'datasets', 'fashion', 'images');
  const files = fs.readdirSync(src).filter((f) => /\.jpe?g$/i.test(f)).sort().slice(0, n);
  // Copies, not symlinks: links leaving the library folders are not followed.
  for (const f of files) fs.copyFileSync(path.join(src, f), path.join(dir, f));
}

const packDir = typeof args.get('pack') === 'string' ? path.resolve(args.get('pack') as string) : await baseShapePack(log);
const pack = await loadPack(packDir, { verifyHashes: false });
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-decode-rss-'));
try {
  const runs: [string, (d: string) => Promise<void> | void][] = [
    ['8 × 13000×13000 greyscale PNG', bombs],
    [`${Number(args.get('n') ?? 1000)} fashion photos`, (d) => fashion(d, Number(args.get('n') ?? 1000))],
  ];
  for (const [name, make] of runs) {
    if (only && !name.includes(only === 'bombs' ? 'PNG' : 'fashion')) continue;
    const dir = path.join(root, name.replace(/\W+/g, '-'));
    fs.mkdirSync(dir);
    await make(dir);
    const r = indexChild(packDir, pack.manifest.id, dir);
    console.log(`${name}: peak RSS ${r.maxRssMiB.toFixed(0)} MiB (getrusage), ${r.peakRssMiB.toFixed(0)} MiB (sampled); ${(r.wallMs / 1000).toFixed(1)} s; photos ${JSON.stringify(r.status.photos)}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
