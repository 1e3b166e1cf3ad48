// The tiny golden checkpoint converted once into a cached pack (per process and across runs, keyed by
// the converter's source and the checkpoint's hash), for tests that need a real model pack.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedDir } from '../../app/paths.js';

export function goldenDir(): string | null {
  const d = path.join(sharedDir(), 'reference', 'magiclens');
  return fs.existsSync(path.join(d, 'tiny_checkpoint.pkl')) ? d : null;
}

function converterHash(): string {
  const h = crypto.createHash('sha256');
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  for (const d of ['models/ts', 'app/model']) {
    const dir = path.join(root, d);
    for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.ts')) h.update(f).update(fs.readFileSync(path.join(dir, f)));
  }
  return h.digest('hex').slice(0, 16);
}

let pending: Promise<string | null> | null = null;

export function tinyPackDir(opts: { expose?: boolean } = {}): Promise<string | null> {
  if (opts.expose) return build(true);
  pending ??= build(false);
  return pending;
}

async function build(expose: boolean): Promise<string | null> {
  const g = goldenDir();
  if (!g) return null;
  const dir = path.join(os.tmpdir(), `magiclens-tiny-pack-${converterHash()}${expose ? '-expose' : ''}`);
  if (fs.existsSync(path.join(dir, 'manifest.json'))) return dir;
  const { convertCheckpoint } = await import('../../models/ts/convert.js');
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await convertCheckpoint({
    checkpoint: path.join(g, 'tiny_checkpoint.pkl'),
    vocab: path.join(g, 'bpe_simple_vocab_16e6.txt.gz'),
    outDir: tmp,
    id: 'magiclens-tiny-golden',
    name: 'MagicLens tiny (random weights, golden reference)',
    demo: true,
    description: 'random-weight tiny MagicLens from the golden reference data; for tests only',
    build: { expose },
  });
  try {
    fs.renameSync(tmp, dir);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true }); // another worker won the race
  }
  return dir;
}
