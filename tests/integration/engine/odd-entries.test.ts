// Issue 10 attacks 4 and 5 on the walker: every entry under a library folder ends as a photo row,
// an error row with a reason, or a documented skip (app/library/README.md); a symlink leaving the
// library folders is never followed, so the file it points to is never read or hashed. Runs with
// no model pack: only the scan is under test. Before the fix the FIFO, the folder link and the
// non-UTF-8 name got no row at all, and the outside link got a row with the secret's SHA-256.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Photo } from '../../../app/api/contract.js';
import { BAD_NAME, FOLDER_LINK, OUTSIDE_LINK, statEntry } from '../../../app/library/walk.js';
import { createService, type EngineService } from '../../../app/service.js';
import { emptyBundledDir, tempDir, writePhoto } from '../../helpers/engine.js';

const root = tempDir('ml-odd-');
const lib = path.join(root, 'lib');
const outside = path.join(root, 'outside');
let svc: EngineService;
let rows: Photo[] = [];

beforeAll(async () => {
  await writePhoto(path.join(lib, 'good.jpg'), 1);
  await writePhoto(path.join(outside, 'secret.jpg'), 2);
  fs.mkdirSync(path.join(outside, 'dir.jpg'));
  await writePhoto(path.join(outside, 'dir.jpg', 'inner.jpg'), 3);
  fs.symlinkSync(path.join(outside, 'secret.jpg'), path.join(lib, 'leak.jpg'));
  fs.symlinkSync('../outside/secret.jpg', path.join(lib, 'relative-leak.jpg'));
  fs.symlinkSync(path.join(outside, 'dir.jpg'), path.join(lib, 'folder-link.jpg'));
  fs.symlinkSync('good.jpg', path.join(lib, 'inside-link.jpg')); // stays inside: followed
  execFileSync('mkfifo', [path.join(lib, 'pipe.jpg')]);
  // A name that is not valid UTF-8 (0xff): Node's string readdir would turn it into U+FFFD.
  fs.writeFileSync(Buffer.concat([Buffer.from(`${lib}/bad-`), Buffer.from([0xff]), Buffer.from('.jpg')]), fs.readFileSync(path.join(lib, 'good.jpg')));
  svc = await createService({ dataDir: path.join(root, 'data'), bundledPacksDir: emptyBundledDir(root), watch: false });
  await svc.handlers['folders.add']({ path: lib, exclude: [] });
  await svc.scansIdle();
  rows = (await svc.handlers['photos.list']({ offset: 0, limit: 100, sort: 'name' })).items;
});

afterAll(async () => {
  await svc?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const row = (name: string): Photo => {
  const r = rows.find((p) => p.name === name);
  if (!r) throw new Error(`no row for ${name}; rows: ${rows.map((p) => p.name).join(', ')}`);
  return r;
};

describe('odd entries under a library folder', () => {
  it('a symlink to a file outside the library is an error row, and the file is never hashed', () => {
    for (const name of ['leak.jpg', 'relative-leak.jpg']) {
      const r = row(name);
      expect(r.status).toBe('error');
      expect(r.error).toBe(OUTSIDE_LINK);
      expect(r.hash).toBe('');
    }
  });

  it('a symlink to a folder named x.jpg is an error row with a reason (not followed)', () => {
    expect(row('folder-link.jpg')).toMatchObject({ status: 'error', error: FOLDER_LINK });
    expect(rows.some((p) => p.name === 'inner.jpg')).toBe(false);
  });

  it('a FIFO named x.jpg is an error row (never opened, so the scan does not block)', () => {
    expect(row('pipe.jpg')).toMatchObject({ status: 'error', error: 'not a regular file (a FIFO)' });
  });

  it('a file name that is not valid UTF-8 is an error row with a reason', () => {
    expect(row('bad-\ufffd.jpg')).toMatchObject({ status: 'error', error: BAD_NAME });
  });

  it('regular photos and symlinks that stay inside the library are still taken', () => {
    expect(row('good.jpg')).toMatchObject({ status: 'pending' });
    const link = row('inside-link.jpg');
    expect(link.status).toBe('pending');
    expect(link.hash).toBe(row('good.jpg').hash);
    expect(link.hash).toMatch(/^[0-9a-f]{64}$/);
    // Every entry in the folder has exactly one row (none silently dropped).
    expect(rows).toHaveLength(fs.readdirSync(lib).length);
  });

  it('the watcher path (statEntry) applies the same rule with the library roots', async () => {
    expect(await statEntry(path.join(lib, 'leak.jpg'), [fs.realpathSync(lib)])).toEqual({ path: path.join(lib, 'leak.jpg'), error: OUTSIDE_LINK });
    // With the outside folder among the roots, the same link is followed.
    expect(await statEntry(path.join(lib, 'leak.jpg'), [fs.realpathSync(lib), fs.realpathSync(outside)])).toMatchObject({ size: expect.any(Number) });
  });
});
