// A damaged library file fails `magiclens index` and `magiclens status` (exit 1, with what to do) instead
// of reporting success while every search fails; `magiclens doctor --repair` restores the backup and
// both succeed again. Real CLI processes, real SQLite file damaged page by page.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../../app/model/registry.js';
import { APP_ROOT } from '../../../app/paths.js';
import { emptyBundledDir, tempDir, writePhoto } from '../../helpers/engine.js';
import { tinyPackDir } from '../../helpers/tiny-pack.js';

const pack = await tinyPackDir();
const root = tempDir('ml-cli-damaged-');
const lib = path.join(root, 'library');
const home = path.join(root, 'home');
const TSX = path.join(APP_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const CLI = path.join(APP_ROOT, 'app', 'cli.ts');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [TSX, CLI, ...args], { env: { ...process.env, MAGICLENS_HOME: home, MAGICLENS_REMOTE: '0' }, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(async () => {
  if (!pack) return;
  for (let i = 0; i < 60; i++) await writePhoto(path.join(lib, `p${i}.jpg`), 4000 + i, { width: 96, height: 72 });
  const reg = new ModelRegistry(home, emptyBundledDir(root));
  reg.setActive((await reg.install(pack)).manifest.id);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe.skipIf(!pack)('CLI on a damaged library', () => {
  it('index and status fail with the way out; doctor --repair restores; both pass again', { timeout: 240_000 }, () => {
    const first = cli(['index', lib]);
    expect(first.code, first.err).toBe(0);
    const ok = cli(['status']);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/library file: ok/);
    expect(fs.readdirSync(path.join(home, 'backups')).length).toBeGreaterThan(0); // made after the indexing run

    const file = path.join(home, 'library.db');
    const buf = fs.readFileSync(file);
    const pages = Math.floor(buf.length / 4096);
    for (let k = 0; k < 8; k++) {
      const p = Math.floor((pages * (k + 2)) / 11);
      buf.fill(0xa5, p * 4096, (p + 1) * 4096);
    }
    fs.writeFileSync(file, buf);

    const again = cli(['index', lib]);
    expect(again.code).not.toBe(0);
    expect(again.err).toMatch(/damaged/);
    expect(again.err).toMatch(/magiclens doctor/);
    const st = cli(['status']);
    expect(st.code).toBe(1);
    expect(st.err).toMatch(/magiclens doctor/);

    const fix = cli(['doctor', '--repair']);
    expect(fix.code, fix.err + fix.out).toBe(0);
    const after = cli(['status', '--json']);
    expect(after.code, after.err).toBe(0);
    expect((JSON.parse(after.out) as { photos: { indexed: number } }).photos.indexed).toBe(60);
  });
});
