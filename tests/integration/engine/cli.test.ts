// The `magiclens` CLI as a real child process: SIGKILL of the real indexing process (its process
// group) in the middle of indexing, restart, and the library equals a fresh index: same rows,
// every vector equal, none duplicated or orphaned. Then search and
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

function indexedCount(dbFile: string): number {
  if (!fs.existsSync(dbFile)) return 0;
  try {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare(`SELECT count(*) AS n FROM photos WHERE status = 'indexed'`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // schema not there yet
  }
}

/** Live pids whose process group is pgid (from /proc: field 5 of stat, after the command name). */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid && f[0] !== 'Z') out.push(Number(d));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'; // a zombie is dead, waiting to be reaped
  } catch {
    return false;
  }
}

async function waitGone(pids: number[]): Promise<void> {
  const end = Date.now() + 10_000;
  while (Date.now() < end && pids.some(alive)) await sleep(20);
}

interface Snapshot {
  rows: { path: string; hash: string; status: string; width: number; height: number }[];
  vectors: Map<string, { clip: Float32Array; target: Float32Array }>;
  vectorRows: { clip: number; target: number; distinct: number; orphans: number };
}

function snapshot(dbFile: string): Snapshot {
  const db = new Database(dbFile, { readonly: true });
  sqliteVec.load(db);
  try {
    const key = (db.prepare('SELECT key FROM models').get() as { key: number }).key;
    const rows = db.prepare('SELECT id, path, hash, status, width, height FROM photos ORDER BY path').all() as ({ id: number } & Snapshot['rows'][number])[];
    const vec = (kind: string, id: number) => {
      const r = db.prepare(`SELECT embedding FROM vec_${kind}_${key} WHERE rowid = ?`).get(BigInt(id)) as { embedding: Buffer } | undefined;
      return r ? new Float32Array(r.embedding.buffer.slice(r.embedding.byteOffset, r.embedding.byteOffset + r.embedding.length)) : new Float32Array(0);
    };
    const vectors = new Map(rows.map((r) => [r.path, { clip: vec('clip', r.id), target: vec('target', r.id) }]));
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    const vectorRows = {
      clip: count(`SELECT count(*) AS n FROM vec_clip_${key}`),
      target: count(`SELECT count(*) AS n FROM vec_target_${key}`),
      distinct: count(`SELECT count(DISTINCT rowid) AS n FROM vec_target_${key}`),
      orphans: count(`SELECT count(*) AS n FROM vec_target_${key} WHERE rowid NOT IN (SELECT id FROM photos WHERE status = 'indexed')`),
    };
    return { rows: rows.map(({ id: _id, ...r }) => r), vectors, vectorRows };
  } finally {
    db.close();
  }
}

describe.skipIf(!pack)('magiclens CLI', () => {
  it('SIGKILL of the real indexing process (its whole group) mid-run, restart: rows and every vector equal a fresh index', async () => {
    // Detached: the tsx launcher leads a new process group, and the CLI that really indexes is its
    // child in that group. Killing the launcher alone would leave that child running.
    const child = spawn(process.execPath, [TSX, CLI, 'index', lib, '--batch', '4'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const pgid = child.pid!;
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const dbFile = path.join(home, 'library.db');
    let atKill = -1;
    let group: number[] = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && child.exitCode === null) {
      const n = indexedCount(dbFile);
      if (n > 0) {
        group = groupMembers(pgid);
        process.kill(-pgid, 'SIGKILL');
        atKill = n;
        break;
      }
      await sleep(5);
    }
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
    expect(child.signalCode, stderr).toBe('SIGKILL');
    expect(atKill).toBeGreaterThan(0);
    // The launcher and the real CLI (its child, which opened the library and indexed).
    expect(group.length, `group ${pgid}: ${group.join(',')}`).toBeGreaterThanOrEqual(2);
    const real = group.find((p) => p !== pgid)!;
    await waitGone(group);
    for (const p of group) expect(alive(p), `pid ${p} (real CLI ${real}) still alive`).toBe(false);
    // Dead, not merely orphaned: the library no longer moves.
    const afterKill = indexedCount(dbFile);
    await sleep(1500);
    expect(indexedCount(dbFile)).toBe(afterKill);
    expect(afterKill).toBeLessThan(N);

    const r = cli(['--json', 'index', lib, '--batch', '4']);
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out) as { photos: number; indexed: number; errors: number; pending: number; photosPerSecond: number };
    expect(summary).toMatchObject({ photos: N, indexed: N, errors: 0, pending: 0 });
    expect(summary.photosPerSecond).toBeGreaterThan(0);

    // A fresh index of the same folder in another data dir, never interrupted.
    const fresh = path.join(root, 'home-fresh');
    const reg = new ModelRegistry(fresh, emptyBundledDir(root));
    reg.setActive((await reg.install(pack!)).manifest.id);
    const f = spawnSync(process.execPath, [TSX, CLI, '--json', 'index', lib, '--batch', '4'], { env: { ...env, MAGICLENS_HOME: fresh }, encoding: 'utf8', timeout: 120_000 });
    expect(f.status, f.stderr).toBe(0);

    const got = snapshot(dbFile);
    const want = snapshot(path.join(fresh, 'library.db'));
    expect(got.vectorRows).toEqual({ clip: N, target: N, distinct: N, orphans: 0 });
    expect(got.rows).toEqual(want.rows);
    let maxDiff = 0;
    for (const [p, v] of want.vectors) {
      const g = got.vectors.get(p);
      expect(g, p).toBeDefined();
      for (const kind of ['clip', 'target'] as const) {
        expect(g![kind].length).toBe(v[kind].length);
        for (let i = 0; i < v[kind].length; i++) maxDiff = Math.max(maxDiff, Math.abs(g![kind][i]! - v[kind][i]!));
      }
    }
    expect(got.vectors.size).toBe(N);
    // Batches were cut differently in the two runs; ORT batches are exact per item (golden test), so
    // the vectors agree to float rounding at most.
    expect(maxDiff).toBeLessThanOrEqual(1e-6);
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
