// The `magiclens` CLI as a real child process: SIGKILL in the middle of indexing, restart, and
// every photo is indexed exactly once (no loss, no duplicate rows or vectors). Then search and
// album commands over the same data dir, with --json.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../../app/model/registry.js';
import { APP_ROOT } from '../../../app/paths.js';
import { emptyBundledDir, sleep, tempDir, writePhoto } from '../../helpers/engine.js';
import { tinyPackDir } from '../../helpers/tiny-pack.js';

const pack = await tinyPackDir();
const root = tempDir('ml-cli-');
const lib = path.join(root, 'library');
const home = path.join(root, 'home');
const N = 240;
const TSX = path.join(APP_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const CLI = path.join(APP_ROOT, 'app', 'cli.ts');
const env = { ...process.env, MAGICLENS_HOME: home };

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [TSX, CLI, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(async () => {
  if (!pack) return;
  // Photo-sized enough that a batch takes a moment (decode + exact resize), so the kill lands mid-run.
  for (let i = 0; i < N; i++) await writePhoto(path.join(lib, `d${i % 4}`, `c${i}.jpg`), 9000 + i, { width: 320, height: 240 });
  const reg = new ModelRegistry(home, emptyBundledDir(root));
  const p = await reg.install(pack);
  reg.setActive(p.manifest.id); // the repo's bundled demo pack must not win
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe.skipIf(!pack)('magiclens CLI', () => {
  it('SIGKILL mid-indexing, restart: every photo indexed exactly once', async () => {
    const child = spawn(process.execPath, [TSX, CLI, 'index', lib, '--batch', '4'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const dbFile = path.join(home, 'library.db');
    let atKill = -1;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && child.exitCode === null) {
      if (fs.existsSync(dbFile)) {
        try {
          const db = new Database(dbFile, { readonly: true, fileMustExist: true });
          const n = (db.prepare(`SELECT count(*) AS n FROM photos WHERE status = 'indexed'`).get() as { n: number }).n;
          db.close();
          if (n > 0) {
            child.kill('SIGKILL');
            atKill = n;
            break;
          }
        } catch {
          /* schema not there yet */
        }
      }
      await sleep(5);
    }
    await new Promise((r) => child.once('exit', r));
    expect(child.signalCode, stderr).toBe('SIGKILL');
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(N);

    const r = cli(['--json', 'index', lib, '--batch', '4']);
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out) as { photos: number; indexed: number; errors: number; pending: number; photosPerSecond: number };
    expect(summary).toMatchObject({ photos: N, indexed: N, errors: 0, pending: 0 });
    expect(summary.photosPerSecond).toBeGreaterThan(0);

    const db = new Database(path.join(home, 'library.db'), { readonly: true });
    sqliteVec.load(db);
    try {
      const key = (db.prepare('SELECT key FROM models').get() as { key: number }).key;
      expect(db.prepare('SELECT count(*) AS n, count(DISTINCT path) AS p, count(DISTINCT hash) AS h FROM photos').get()).toEqual({ n: N, p: N, h: N });
      for (const kind of ['clip', 'target']) {
        const c = db.prepare(`SELECT count(*) AS n, count(DISTINCT rowid) AS d FROM vec_${kind}_${key}`).get() as { n: number; d: number };
        expect(c, kind).toEqual({ n: N, d: N });
      }
      const orphans = db.prepare(`SELECT count(*) AS n FROM vec_target_${key} WHERE rowid NOT IN (SELECT id FROM photos WHERE status = 'indexed')`).get();
      expect(orphans).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });

  it('search, similar, albums and status over the same data dir (--json)', () => {
    const q = path.join(lib, 'd1', 'c5.jpg');
    const s = cli(['--json', 'search', '--photo', q, '--instruction', '', '--include-query', '--limit', '5']);
    expect(s.code, s.err).toBe(0);
    const res = JSON.parse(s.out) as { hits: { photo: { path: string }; score: number }[]; hasMore: boolean };
    expect(res.hits[0]!.photo.path).toBe(q);
    expect(res.hits).toHaveLength(5);
    expect(res.hasMore).toBe(true);

    const t = cli(['search', '--text', 'a photo of a dog', '--limit', '3']);
    expect(t.code, t.err).toBe(0);
    expect(t.out.trimEnd().split('\n').filter((l) => /^\s+\d+\s+-?\d\.\d{4}\s+#\d+/.test(l))).toHaveLength(3);

    const sim = cli(['--json', 'similar', '--photo', q, '--limit', '4']);
    expect((JSON.parse(sim.out) as { hits: { photo: { path: string } }[] }).hits.map((h) => h.photo.path)).not.toContain(q);

    const a = cli(['--json', 'album', 'create', 'Like', 'c5', '--photo', q, '--instruction', 'at night', '--top', '7']);
    expect(a.code, a.err).toBe(0);
    const album = JSON.parse(a.out) as { id: number; count: number };
    expect(album.count).toBe(7);
    const list = JSON.parse(cli(['--json', 'album', 'list']).out) as { id: number; name: string }[];
    expect(list.map((x) => x.name)).toEqual(['Like c5']);
    const show = JSON.parse(cli(['--json', 'album', 'show', String(album.id)]).out) as { hits: unknown[] };
    expect(show.hits).toHaveLength(7);
    expect(cli(['album', 'delete', String(album.id)]).code).toBe(0);
    expect(cli(['album', 'delete', String(album.id)]).code).toBe(1);

    const st = JSON.parse(cli(['--json', 'status']).out) as { photos: { total: number; indexed: number } };
    expect(st.photos).toMatchObject({ total: N, indexed: N });
    const bad = cli(['search']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/needs --photo/);
  });
});
