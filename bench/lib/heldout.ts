// The demo world's held-out photos, generated once by models/python/make_heldout.py into the temp folder
// (keyed by the generator's sources, so a changed world regenerates them).
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_DIR } from './report.js';

export { runHeldOut } from '../eval/datasets/heldout.js';

export async function heldOutRoot(log: (s: string) => void, pages = Number(process.env.MAGICLENS_HELDOUT_PAGES ?? 120)): Promise<string | null> {
  const root = path.resolve(BENCH_DIR, '..');
  const script = path.join(root, 'models', 'python', 'make_heldout.py');
  if (!fs.existsSync(script)) return null;
  const h = crypto.createHash('sha256').update(String(pages));
  const pkg = path.join(root, 'models', 'python', 'magiclens_torch');
  for (const f of [script, path.join(root, 'models', 'python', 'train_demo.py'), ...fs.readdirSync(pkg).filter((f) => f.endsWith('.py')).sort().map((f) => path.join(pkg, f))]) h.update(fs.readFileSync(f));
  const out = path.join(os.tmpdir(), `magiclens-bench-heldout-${h.digest('hex').slice(0, 12)}`);
  if (fs.existsSync(path.join(out, 'queries.json'))) return out;
  const py = process.env.MAGICLENS_PYTHON ?? '/usr/bin/python3';
  log(`[quality] generating the held-out world with ${py} models/python/make_heldout.py (${pages} pages)…`);
  const tmp = `${out}.tmp-${process.pid}`;
  const r = spawnSync(py, [script, tmp, '--pages', String(pages)], { cwd: root, encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  if (r.status !== 0) {
    log(`[quality] make_heldout.py failed (${r.status}): ${(r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' | ')}`);
    fs.rmSync(tmp, { recursive: true, force: true });
    return null;
  }
  fs.renameSync(tmp, out);
  log(`[quality] ${r.stdout.trim()}`);
  return out;
}
