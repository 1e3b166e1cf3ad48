// Manual albums, favourites, freezing a smart album and copying photos out (issue 14), on the real
// service: real files, SQLite, ONNX Runtime (tiny pack). Originals must never change.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch, type EventEnvelope } from '../../../app/api/contract.js';
import type { EngineService } from '../../../app/service.js';
import { openDatabase } from '../../../app/store/db.js';
import { LATEST_VERSION, schemaVersion } from '../../../app/store/migrations.js';
import { noise, SKIP_NO_SHARED, tempDir, tinyService, waitFor, writePhoto } from '../../helpers/engine.js';
import { tinyPackDir } from '../../helpers/tiny-pack.js';

const hasPack = (await tinyPackDir()) !== null;
if (!hasPack) console.warn(SKIP_NO_SHARED);
const root = tempDir('ml-manual-');
const lib = path.join(root, 'library');
let svc: EngineService;
const events: EventEnvelope[] = [];
const ids = new Map<string, number>();
const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const call = async (method: string, params: unknown) => {
  const r = await dispatch(svc.handlers, { id: 1, method, params });
  if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
  return r.result as never;
};

beforeAll(async () => {
  if (!hasPack) return;
  for (let i = 0; i < 8; i++) await writePhoto(path.join(lib, `p${i}.jpg`), 300 + i, { width: 40, height: 36 });
  fs.mkdirSync(path.join(lib, 'dated'), { recursive: true });
  // Three photos with a capture date (EXIF DateTimeOriginal) on two days; the rest are dated by file time.
  for (const [i, when] of ['2021:07:04 12:00:00', '2021:07:04 23:59:00', '2021:07:05 00:10:00'].entries()) {
    await sharp(noise(60 + i, 32 * 24 * 3), { raw: { width: 32, height: 24, channels: 3 } }).withExifMerge({ IFD2: { DateTimeOriginal: when } }).jpeg().toFile(path.join(lib, 'dated', `d${i}.jpg`));
  }
  svc = (await tinyService(root))!;
  svc.onEvent((e) => events.push(e));
  await svc.handlers['folders.add']({ path: lib, exclude: [] });
  await svc.whenIdle();
  for (const p of (await svc.handlers['photos.list']({ offset: 0, limit: 100, sort: 'name' })).items) ids.set(p.name, p.id);
}, 120_000);
afterAll(async () => {
  await svc?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!hasPack)('manual albums', () => {
  it('creates, adds (skipping unknown ids), removes, renames; newest added first; refuses a rule', async () => {
    const a = await svc.handlers['albums.createManual']({ name: 'Trip', photoIds: [ids.get('p0.jpg')!, ids.get('p1.jpg')!] });
    expect(a).toMatchObject({ kind: 'manual', query: null, rule: null, count: 2 });
    await new Promise((r) => setTimeout(r, 5)); // a later add-time than the first two
    const added = await svc.handlers['albums.addPhotos']({ id: a.id, photoIds: [ids.get('p1.jpg')!, ids.get('p5.jpg')!, 999_999] });
    expect(added.changed).toBe(1); // p1 was there already, 999999 is no photo
    expect(added.album.count).toBe(3);
    expect(events.some((e) => e.event === 'albums.changed' && (e.data as { id: number; count: number }).id === a.id && (e.data as { count: number }).count === 3)).toBe(true);
    const got = await svc.handlers['albums.get']({ id: a.id, offset: 0, limit: 10 });
    expect(got.hits[0]!.photo.name).toBe('p5.jpg');
    expect(got.hits.map((h) => h.photo.name).sort()).toEqual(['p0.jpg', 'p1.jpg', 'p5.jpg']);
    const removed = await svc.handlers['albums.removePhotos']({ id: a.id, photoIds: [ids.get('p0.jpg')!] });
    expect(removed).toMatchObject({ changed: 1, album: { count: 2 } });
    expect((await svc.handlers['albums.update']({ id: a.id, name: 'Summer trip' })).name).toBe('Summer trip');
    await expect(call('albums.update', { id: a.id, rule: { kind: 'topN', n: 5 } })).rejects.toThrow(/manual album/);
    await expect(call('albums.addPhotos', { id: a.id, photoIds: [] })).rejects.toThrow(/photoIds/);
    await expect(call('albums.addPhotos', { id: 12345, photoIds: [1] })).rejects.toThrow(/no album 12345/);
    // Deleting a file drops it from the album (and says so), the album stays.
    fs.rmSync(path.join(lib, 'p5.jpg'));
    await svc.scan();
    await svc.whenIdle();
    await waitFor(async () => (await svc.handlers['albums.get']({ id: a.id, offset: 0, limit: 10 })).album.count === 1, 10_000, 'p5 gone from the album');
  });

  it('freezes a smart album into a manual one with the same photos in rank order; smart albums refuse hand edits', async () => {
    const smart = await svc.handlers['albums.create']({ name: 'Look-alikes', query: { kind: 'similar', photoId: ids.get('p2.jpg')! }, rule: { kind: 'topN', n: 4 }, filters: {} });
    const ranked = (await svc.handlers['albums.get']({ id: smart.id, offset: 0, limit: 10 })).hits.map((h) => h.photo.id);
    expect(ranked).toHaveLength(4);
    await expect(call('albums.addPhotos', { id: smart.id, photoIds: [ids.get('p3.jpg')!] })).rejects.toThrow(/smart album/);
    const frozen = await svc.handlers['albums.freeze']({ id: smart.id });
    expect(frozen).toMatchObject({ kind: 'manual', name: 'Look-alikes (fixed)', count: 4 });
    expect((await svc.handlers['albums.get']({ id: frozen.id, offset: 0, limit: 10 })).hits.map((h) => h.photo.id)).toEqual(ranked);
    await expect(call('albums.freeze', { id: frozen.id })).rejects.toThrow(/already a manual album/);
    expect((await svc.handlers['albums.list']({})).find((x) => x.id === smart.id)?.kind).toBe('smart');
    // A rename names no filters: the album keeps its own (the update schema used to default them to {}).
    const filtered = await call('albums.create', { name: 'JPEGs alike', query: { kind: 'similar', photoId: ids.get('p2.jpg')! }, filters: { formats: ['jpeg'] } });
    const renamed = (await call('albums.update', { id: (filtered as { id: number }).id, name: 'Renamed' })) as { name: string; filters: unknown };
    expect(renamed).toMatchObject({ name: 'Renamed', filters: { formats: ['jpeg'] } });
  });

  it('marks favourites and lists only them', async () => {
    const fav = [ids.get('p3.jpg')!, ids.get('p4.jpg')!];
    expect((await svc.handlers['photos.setFavourite']({ ids: fav, favourite: true })).changed).toBe(2);
    expect((await svc.handlers['photos.setFavourite']({ ids: fav, favourite: true })).changed).toBe(0);
    const list = await svc.handlers['photos.list']({ offset: 0, limit: 100, sort: 'name', favourites: true });
    expect(list.items.map((p) => p.name)).toEqual(['p3.jpg', 'p4.jpg']);
    expect(list.items.every((p) => p.favourite)).toBe(true);
    await svc.handlers['photos.setFavourite']({ ids: [fav[0]!], favourite: false });
    expect((await svc.handlers['photos.list']({ offset: 0, limit: 100, sort: 'name', favourites: true })).total).toBe(1);
    expect((await svc.handlers['photos.get']({ id: fav[0]! })).favourite).toBe(false);
  });
});

describe.skipIf(!hasPack)('copy photos to a folder', () => {
  it('copies byte-identical files, never overwrites, leaves the originals alone', async () => {
    const before = new Map(fs.readdirSync(lib).filter((f) => f.endsWith('.jpg')).map((f) => [f, `${sha(path.join(lib, f))}:${fs.statSync(path.join(lib, f)).mtimeMs}`]));
    const dest = path.join(root, 'out', 'nested');
    const pick = [ids.get('p1.jpg')!, ids.get('p2.jpg')!, ids.get('p5.jpg')!]; // p5 was deleted above
    const r = await svc.handlers['photos.export']({ ids: pick, dest });
    expect(r).toEqual({ dest, copied: 2, renamed: 0, missing: 1 });
    expect(sha(path.join(dest, 'p1.jpg'))).toBe(sha(path.join(lib, 'p1.jpg')));
    const again = await svc.handlers['photos.export']({ ids: [ids.get('p1.jpg')!], dest });
    expect(again).toMatchObject({ copied: 1, renamed: 1 });
    expect(fs.readdirSync(dest).sort()).toEqual(['p1 (2).jpg', 'p1.jpg', 'p2.jpg']);
    // Into the photos' own folder: a numbered copy, the original untouched.
    expect(await svc.handlers['photos.export']({ ids: [ids.get('p2.jpg')!], dest: lib })).toMatchObject({ copied: 1, renamed: 1 });
    fs.rmSync(path.join(lib, 'p2 (2).jpg'));
    expect(new Map(fs.readdirSync(lib).filter((f) => f.endsWith('.jpg')).map((f) => [f, `${sha(path.join(lib, f))}:${fs.statSync(path.join(lib, f)).mtimeMs}`]))).toEqual(before);
  });

  it('refuses relative, UNC and device destinations and a file as the folder, writing nothing', async () => {
    const id = ids.get('p1.jpg')!;
    await expect(call('photos.export', { ids: [id], dest: 'out/relative' })).rejects.toThrow(/relative path is not accepted/);
    await expect(call('photos.export', { ids: [id], dest: '\\\\host\\share\\x' })).rejects.toThrow(/UNC/);
    await expect(call('photos.export', { ids: [id], dest: '/dev/shm/x' })).rejects.toThrow(/device/);
    await expect(call('photos.export', { ids: [id], dest: path.join(lib, 'p1.jpg') })).rejects.toThrow(/not a folder/);
    expect(fs.existsSync(path.join(process.cwd(), 'out', 'relative'))).toBe(false);
  });
});

describe.skipIf(!hasPack)('timeline', () => {
  it('counts photos per capture day in list order, EXIF date first, file time marked', async () => {
    const days = await svc.handlers['photos.timeline']({ sort: 'date-desc' });
    const list = await svc.handlers['photos.list']({ offset: 0, limit: 1000, sort: 'date-desc' });
    expect(days.reduce((n, d) => n + d.count, 0)).toBe(list.total);
    expect(days.slice(-2)).toEqual([
      { day: '2021-07-05', count: 1, fileTime: 0 },
      { day: '2021-07-04', count: 2, fileTime: 0 },
    ]);
    // Every other photo has no EXIF date: dated (and counted) by its file time.
    for (const d of days.slice(0, -2)) expect(d.fileTime).toBe(d.count);
    // The list runs day by day in the same order: each day's photos are contiguous.
    let at = 0;
    for (const d of days) {
      for (const p of list.items.slice(at, at + d.count)) expect(new Date(p.takenAt ?? p.mtimeMs).toISOString().slice(0, 10)).toBe(d.day);
      at += d.count;
    }
    const asc = await svc.handlers['photos.timeline']({ sort: 'date-asc' });
    expect(asc.map((d) => d.day)).toEqual(days.map((d) => d.day).reverse());
  });
});

describe('migration 4', () => {
  it('adds album kinds and favourites to a version-3 library, keeping its albums as smart ones', () => {
    const file = path.join(tempDir('ml-mig4-'), 'v3.db');
    const old = openDatabase(file, { migrateTo: 3 });
    old.prepare(`INSERT INTO photos (path, hash, size, mtime_ms, status, added_at, updated_at) VALUES ('/p/a.jpg', 'h', 1, 5, 'indexed', 1, 1)`).run();
    old.prepare(`INSERT INTO albums (name, query_json, rule_json, created_at, updated_at) VALUES ('Old', '{"kind":"text","text":"x"}', '{"kind":"topN","n":5}', 1, 1)`).run();
    old.close();
    const db = openDatabase(file);
    expect(schemaVersion(db)).toBe(LATEST_VERSION);
    expect(db.prepare('SELECT name, kind FROM albums').all()).toEqual([{ name: 'Old', kind: 'smart' }]);
    expect(db.prepare('SELECT favourite FROM photos').get()).toEqual({ favourite: 0 });
    expect(() => db.prepare(`INSERT INTO albums (name, kind, query_json, rule_json, created_at, updated_at) VALUES ('x', 'bogus', 'null', 'null', 1, 1)`).run()).toThrow(/CHECK/);
    const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT * FROM photos ORDER BY coalesce(taken_at, mtime_ms) DESC, id DESC LIMIT 10`).all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/photos_when/);
    db.close();
  });
});
