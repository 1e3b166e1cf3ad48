// Media confinement: URLs name only a kind and an id, and files are served only from inside the
// allowed roots after resolving symlinks (real files and symlinks on disk).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMediaPath, parseMediaUrl, resolveInsideRoots } from '../../../app/media-access.js';
import { resolveMediaRequest, type MediaDeps } from '../../../main/media-protocol.js';

let tmp: string;
let lib: string;
let data: string;
let outside: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ml-media-'));
  lib = path.join(tmp, 'Pictures');
  data = path.join(tmp, 'data');
  outside = path.join(tmp, 'private');
  for (const d of [lib, path.join(lib, 'sub'), data, outside, path.join(tmp, 'Pictures-evil')]) mkdirSync(d, { recursive: true });
  writeFileSync(path.join(lib, 'sub', 'ok.jpg'), 'ok');
  writeFileSync(path.join(outside, 'secret.jpg'), 'secret');
  writeFileSync(path.join(tmp, 'Pictures-evil', 'x.jpg'), 'prefix trick');
  mkdirSync(path.join(data, 'thumbs'), { recursive: true });
  writeFileSync(path.join(data, 'thumbs', 't1.webp'), 'thumb');
  writeFileSync(path.join(data, 'library.db'), 'db');
  symlinkSync(path.join(outside, 'secret.jpg'), path.join(lib, 'link-out.jpg'));
  symlinkSync(outside, path.join(lib, 'dir-link'));
  symlinkSync(path.join(lib, 'sub', 'ok.jpg'), path.join(lib, 'link-in.jpg'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('media URL parsing', () => {
  it('accepts only <thumb|full>/<positive id>', () => {
    expect(parseMediaPath('/thumb/12')).toEqual({ kind: 'thumb', photoId: 12 });
    expect(parseMediaUrl('magiclens-media://full/7')).toEqual({ kind: 'full', photoId: 7 });
    for (const bad of ['/thumb/0', '/thumb/-1', '/thumb/1.5', '/raw/1', '/full/../1', '/full/1/..', '/full//etc/passwd', '/etc/passwd', '/full/%2e%2e', '/full/1e3', '/full/99999999999999999999']) {
      expect(parseMediaPath(bad), bad).toBeNull();
    }
    for (const bad of [
      'magiclens-media://full/../../etc/passwd',
      'magiclens-media://full/%2e%2e/secret',
      'magiclens-media://full/1/../2',
      'magiclens-media://full//etc/passwd',
      'magiclens-media://full/1?x=1',
      'magiclens-media://user@full/1',
      'file:///etc/passwd',
      'magiclens-app://full/1',
      'magiclens-media://full/..%2fsecret',
      'magiclens-media://full\\..\\1',
    ]) {
      expect(parseMediaUrl(bad), bad).toBeNull();
    }
  });
});

describe('resolveInsideRoots', () => {
  it('resolves files inside a root, including symlinks that stay inside', async () => {
    expect(await resolveInsideRoots(path.join(lib, 'sub', 'ok.jpg'), [lib])).toBe(path.join(lib, 'sub', 'ok.jpg'));
    expect(await resolveInsideRoots(path.join(lib, 'link-in.jpg'), [lib])).toBe(path.join(lib, 'sub', 'ok.jpg'));
  });

  it('refuses "..", relative paths, absolute paths elsewhere, sibling-prefix folders and symlinks leaving the roots', async () => {
    expect(await resolveInsideRoots(path.join(lib, '..', 'private', 'secret.jpg'), [lib])).toBeNull();
    expect(await resolveInsideRoots(`${lib}/sub/../../private/secret.jpg`, [lib])).toBeNull();
    expect(await resolveInsideRoots('Pictures/sub/ok.jpg', [lib])).toBeNull();
    expect(await resolveInsideRoots('/etc/passwd', [lib])).toBeNull();
    expect(await resolveInsideRoots(path.join(tmp, 'Pictures-evil', 'x.jpg'), [lib])).toBeNull();
    expect(await resolveInsideRoots(path.join(lib, 'link-out.jpg'), [lib])).toBeNull();
    expect(await resolveInsideRoots(path.join(lib, 'dir-link', 'secret.jpg'), [lib])).toBeNull();
    expect(await resolveInsideRoots(path.join(lib, 'missing.jpg'), [lib])).toBeNull();
    expect(await resolveInsideRoots(`${lib}/sub/ok.jpg\0.png`, [lib])).toBeNull();
  });
});

describe('Electron media protocol handler logic', () => {
  // The service's answers for each id; 2–4 are hostile paths a compromised or buggy service could return.
  const files = (): Record<number, string> => ({
    1: path.join(lib, 'sub', 'ok.jpg'),
    2: path.join(lib, 'link-out.jpg'),
    3: path.join(outside, 'secret.jpg'),
    4: path.join(lib, '..', 'private', 'secret.jpg'),
  });
  const deps: MediaDeps = {
    imageFile: async (id, kind) => (kind === 'thumb' ? { path: id === 9 ? path.join(data, 'library.db') : path.join(data, 'thumbs', `t${id}.webp`), contentType: 'image/webp' } : id === 8 ? { path: path.join(data, 'library.db'), contentType: 'image/jpeg' } : files()[id] ? { path: files()[id]!, contentType: 'image/jpeg' } : null),
    roots: async () => ({ folders: [lib], dataDir: data }),
  };

  it('serves library files and thumbnails', async () => {
    expect(await resolveMediaRequest('magiclens-media://full/1', deps)).toEqual({ status: 200, path: path.join(lib, 'sub', 'ok.jpg'), contentType: 'image/jpeg' });
    expect(await resolveMediaRequest('magiclens-media://thumb/1', deps)).toMatchObject({ status: 200, path: path.join(data, 'thumbs', 't1.webp') });
  });

  it('refuses traversal in the URL, and paths or symlinks leaving the library', async () => {
    expect(await resolveMediaRequest('magiclens-media://full/../../etc/passwd', deps)).toMatchObject({ status: 400 });
    expect(await resolveMediaRequest('magiclens-media://full//etc/passwd', deps)).toMatchObject({ status: 400 });
    for (const id of [2, 3, 4]) expect(await resolveMediaRequest(`magiclens-media://full/${id}`, deps), `id ${id}`).toMatchObject({ status: 404 });
    expect(await resolveMediaRequest('magiclens-media://full/99', deps)).toMatchObject({ status: 404 });
    // The data dir itself (the database) is never served, only its generated-images folder.
    expect(await resolveMediaRequest('magiclens-media://full/8', deps)).toMatchObject({ status: 404 });
    expect(await resolveMediaRequest('magiclens-media://thumb/9', deps)).toMatchObject({ status: 404 });
    // A thumbnail never comes from a library folder; a full image only from one (or a rendition).
    const swapped: MediaDeps = { ...deps, roots: async () => ({ folders: [outside], dataDir: lib }) };
    expect(await resolveMediaRequest('magiclens-media://full/1', swapped)).toMatchObject({ status: 404 });
    expect(await resolveMediaRequest('magiclens-media://thumb/1', swapped)).toMatchObject({ status: 404 });
  });
});
