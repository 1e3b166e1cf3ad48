// The library while watching (chokidar): add, change, delete, rename and move keep the index in
// line with the disk, and identity follows content: a renamed/moved photo keeps its id, its
// embeddings and its album membership. Then a 1,000-file move storm must leave exactly the index
// a fresh scan of the same tree produces, without re-embedding anything.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineService } from '../../../app/service.js';
import { createService } from '../../../app/service.js';
import { thumbPath } from '../../../app/media/thumbs.js';
import { emptyBundledDir, sleep, tempDir, tinyService, waitFor, writePhoto } from '../../helpers/engine.js';
import { tinyPackDir } from '../../helpers/tiny-pack.js';
import { ModelRegistry } from '../../../app/model/registry.js';

const pack = await tinyPackDir();
const root = tempDir('ml-watch-');
const lib = path.join(root, 'library');
let svc: EngineService;
// Short timings keep the test fast; the product defaults are 400 ms / 3 s.
const WATCH = { watch: true, stabilityMs: 120, graceMs: 1500, batchSize: 16 } as const;

beforeAll(async () => {
  if (!pack) return;
  for (let i = 0; i < 6; i++) await writePhoto(path.join(lib, `p${i}.jpg`), i + 1);
  svc = (await tinyService(root, WATCH))!;
  await svc.handlers['folders.add']({ path: lib, exclude: ['skip/**'] });
  await svc.whenIdle();
});
afterAll(async () => {
  await svc?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const rowAt = (p: string) => svc.db.prepare('SELECT id, hash, status FROM photos WHERE path = ?').get(p) as { id: number; hash: string; status: string } | undefined;
const vec = (id: number) => {
  const key = (svc.db.prepare('SELECT key FROM models').get() as { key: number }).key;
  const r = svc.db.prepare(`SELECT embedding FROM vec_target_${key} WHERE rowid = ?`).get(BigInt(id)) as { embedding: Buffer } | undefined;
  return r ? Buffer.from(r.embedding) : undefined;
};
const settle = async (cond: () => boolean, what: string) => {
  await waitFor(cond, 30_000, what);
  await svc.whenIdle();
};

describe.skipIf(!pack)('watching a folder', () => {
  it('indexes a new file, re-embeds a changed one, drops a deleted one', async () => {
    expect(rowAt(path.join(lib, 'p0.jpg'))?.status).toBe('indexed');
    const added = path.join(lib, 'sub', 'new.jpg');
    await writePhoto(added, 77);
    await settle(() => rowAt(added)?.status === 'indexed', 'added photo indexed');

    const changed = path.join(lib, 'p1.jpg');
    const before = rowAt(changed)!;
    const vBefore = vec(before.id)!;
    await sleep(20);
    await writePhoto(changed, 1001); // new content at the same path
    await settle(() => { const r = rowAt(changed); return !!r && r.hash !== before.hash && r.status === 'indexed'; }, 'changed photo re-embedded');
    const after = rowAt(changed)!;
    expect(after.id).toBe(before.id);
    expect(vec(after.id)!.equals(vBefore)).toBe(false);

    const gone = path.join(lib, 'p2.jpg');
    const goneRow = rowAt(gone)!;
    const thumb = thumbPath(svc.dataDir, goneRow.hash);
    expect(fs.existsSync(thumb)).toBe(true); // made in the index pass
    fs.unlinkSync(gone);
    await settle(() => rowAt(gone) === undefined, 'deleted photo removed');
    expect(vec(goneRow.id)).toBeUndefined();
    await waitFor(() => !fs.existsSync(thumb), 5000, 'orphaned thumbnail removed');

    // Excluded and hidden files are not picked up by the watcher either.
    await writePhoto(path.join(lib, 'skip', 'x.jpg'), 5000);
    await writePhoto(path.join(lib, '.hidden.jpg'), 5001);
    await sleep(600);
    await svc.whenIdle();
    expect(rowAt(path.join(lib, 'skip', 'x.jpg'))).toBeUndefined();
    expect(rowAt(path.join(lib, '.hidden.jpg'))).toBeUndefined();
  });

  it('rename and move keep the photo id, its embedding and its album membership', async () => {
    const a = path.join(lib, 'p3.jpg');
    const r0 = rowAt(a)!;
    const v0 = vec(r0.id)!;
    const album = await svc.handlers['albums.create']({ name: 'p3 and friends', query: { kind: 'similar', photoId: rowAt(path.join(lib, 'p4.jpg'))!.id }, rule: { kind: 'topN', n: 100 }, filters: {} });
    const members = async () => (await svc.handlers['albums.get']({ id: album.id, offset: 0, limit: 100 })).hits.map((h) => h.photo.id);
    expect(await members()).toContain(r0.id);

    const renamed = path.join(lib, 'renamed.jpg');
    fs.renameSync(a, renamed);
    await settle(() => rowAt(renamed) !== undefined && rowAt(a) === undefined, 'rename seen');
    expect(rowAt(renamed)!.id).toBe(r0.id);
    expect(vec(r0.id)!.equals(v0)).toBe(true);

    const moved = path.join(lib, 'deep', 'er', 'moved.jpg');
    fs.mkdirSync(path.dirname(moved), { recursive: true });
    fs.renameSync(renamed, moved);
    await settle(() => rowAt(moved) !== undefined && rowAt(renamed) === undefined, 'move seen');
    await sleep(WATCH.graceMs + 300); // past the rename grace period: nothing gets deleted later
    await svc.whenIdle();
    expect(rowAt(moved)!.id).toBe(r0.id);
    expect(vec(r0.id)!.equals(v0)).toBe(true);
    expect(await members()).toContain(r0.id);

    // Deleting it takes it out of the album.
    fs.unlinkSync(moved);
    await settle(() => rowAt(moved) === undefined, 'delete seen');
    await waitFor(async () => !(await members()).includes(r0.id), 10_000, 'album updated after delete');
  });

  it('watches a folder added later, and a move between library folders keeps identity', async () => {
    const lib2 = path.join(root, 'second');
    fs.mkdirSync(lib2);
    await svc.handlers['folders.add']({ path: lib2, exclude: [] });
    await svc.whenIdle();
    const fresh = path.join(lib2, 'fresh.jpg');
    await writePhoto(fresh, 4242);
    await settle(() => rowAt(fresh)?.status === 'indexed', 'photo in the second folder indexed');
    const src = path.join(lib, 'p5.jpg');
    const r0 = rowAt(src)!;
    const dst = path.join(lib2, 'p5-moved.jpg');
    fs.renameSync(src, dst);
    await settle(() => rowAt(dst) !== undefined && rowAt(src) === undefined, 'cross-folder move seen');
    const moved = svc.db.prepare('SELECT id, folder_id FROM photos WHERE path = ?').get(dst) as { id: number; folder_id: number };
    expect(moved.id).toBe(r0.id);
    const folders = await svc.handlers['folders.list']({});
    expect(moved.folder_id).toBe(folders.find((f) => f.path === fs.realpathSync(lib2))!.id);
    // Removing the folder drops its photos from the index.
    await svc.handlers['folders.remove']({ id: moved.folder_id });
    expect(rowAt(dst)).toBeUndefined();
    expect(vec(r0.id)).toBeUndefined();
  });

  it('after a 1,000-file move storm the index equals a fresh scan of the same tree, with nothing re-embedded', async () => {
    const storm = path.join(lib, 'storm');
    const files: string[] = [];
    for (let i = 0; i < 1000; i++) files.push(await writePhoto(path.join(storm, `s${i}.png`), 20_000 + i, { fmt: 'png', width: 8, height: 8 }));
    await settle(() => (svc.db.prepare(`SELECT count(*) AS n FROM photos WHERE path LIKE ? AND status = 'indexed'`).get(`${storm}%`) as { n: number }).n === 1000, '1,000 storm photos indexed');
    const idsByHash = new Map((svc.db.prepare('SELECT hash, id FROM photos').all() as { hash: string; id: number }[]).map((r) => [r.hash, r.id]));
    const key = () => (svc.db.prepare('SELECT key FROM models').get() as { key: number }).key;
    // Vectors, not photo rows: a storm that duplicated or dropped vec0 rows must show here.
    const vecCount = () => {
      const k = key();
      const n = (kind: string) => (svc.db.prepare(`SELECT count(*) AS n FROM vec_${kind}_${k}`).get() as { n: number }).n;
      return { clip: n('clip'), target: n('target') };
    };
    const indexedCount = () => (svc.db.prepare('SELECT count(*) AS n FROM photos WHERE status = \'indexed\'').get() as { n: number }).n;
    // Any re-embedding would show as an indexing run with work in it.
    let indexingRuns = 0;
    const off = svc.onEvent((e) => {
      if (e.event === 'index.progress' && (e.data as { state: string }).state === 'indexing') indexingRuns++;
    });

    // The storm: every file renamed and spread over new folders, some twice, as fast as possible.
    for (let i = 0; i < files.length; i++) {
      const to = path.join(lib, `dest${i % 7}`, i % 3 === 0 ? 'nested' : '', `m${i}.png`);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.renameSync(files[i]!, to);
      if (i % 10 === 0) fs.renameSync(to, to.replace(/m(\d+)\.png$/, 'again$1.png'));
    }
    fs.rmSync(storm, { recursive: true, force: true });
    const total = vecCount();
    await settle(() => {
      const n = (svc.db.prepare(`SELECT count(*) AS n FROM photos WHERE path LIKE ?`).get(`${path.join(lib, 'dest')}%`) as { n: number }).n;
      return n === 1000 && (svc.db.prepare(`SELECT count(*) AS n FROM photos WHERE path LIKE ?`).get(`${storm}%`) as { n: number }).n === 0;
    }, 'storm settled');
    await sleep(WATCH.graceMs + 300);
    await svc.whenIdle();
    off();
    expect(indexingRuns).toBe(0);

    // Identity kept: every content hash still has its original photo id; nothing re-embedded.
    const now = svc.db.prepare('SELECT id, hash, path, status FROM photos').all() as { id: number; hash: string; path: string; status: string }[];
    for (const r of now) if (idsByHash.has(r.hash)) expect(r.id, r.path).toBe(idsByHash.get(r.hash));
    expect(vecCount()).toEqual(total);
    expect(total.clip).toBe(indexedCount());
    expect(total.target).toBe(indexedCount());

    // A fresh scan of the same tree into a new data dir.
    const freshRoot = path.join(root, 'fresh');
    fs.mkdirSync(freshRoot);
    const dataDir = path.join(freshRoot, 'data');
    await new ModelRegistry(dataDir, emptyBundledDir(freshRoot)).install(pack!);
    const fresh = await createService({ dataDir, bundledPacksDir: emptyBundledDir(freshRoot), watch: false, threads: 1, batchSize: 32 });
    try {
      await fresh.handlers['folders.add']({ path: lib, exclude: ['skip/**'] });
      await fresh.scan();
      await fresh.whenIdle();
      const freshRows = fresh.db.prepare('SELECT id, hash, path, status FROM photos ORDER BY path').all() as { id: number; hash: string; path: string; status: string }[];
      const watched = [...now].sort((a, b) => (a.path < b.path ? -1 : 1));
      expect(watched.map((r) => [r.path, r.hash, r.status])).toEqual(freshRows.map((r) => [r.path, r.hash, r.status]));
      const fkey = (fresh.db.prepare('SELECT key FROM models').get() as { key: number }).key;
      // Every row's embeddings (both spaces), not a sample.
      const fvec = (kind: string, id: number) => (fresh.db.prepare(`SELECT embedding FROM vec_${kind}_${fkey} WHERE rowid = ?`).get(BigInt(id)) as { embedding: Buffer } | undefined)?.embedding;
      const wvec = (kind: string, id: number) => (svc.db.prepare(`SELECT embedding FROM vec_${kind}_${key()} WHERE rowid = ?`).get(BigInt(id)) as { embedding: Buffer } | undefined)?.embedding;
      let compared = 0;
      for (let i = 0; i < freshRows.length; i++) {
        const f = freshRows[i]!;
        const w = watched[i]!;
        for (const kind of ['clip', 'target']) {
          const fv = fvec(kind, f.id);
          const wv = wvec(kind, w.id);
          expect(wv === undefined, `${kind} ${w.path}`).toBe(fv === undefined);
          if (fv && wv) {
            expect(Buffer.from(wv).equals(Buffer.from(fv)), `${kind} ${f.path}`).toBe(true);
            compared++;
          }
        }
      }
      expect(compared).toBe(2 * freshRows.filter((r) => r.status === 'indexed').length);
    } finally {
      await fresh.close();
    }
  });
});
