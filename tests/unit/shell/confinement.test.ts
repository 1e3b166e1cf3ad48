// Confinement edge cases: a library at a drive or file-system root shows its images (Windows rules
// via path.win32, POSIX rules via path.posix and real files under "/"), a folder named "..photos"
// is inside its parent, and "Show in folder" reveals a HEIC photo's ORIGINAL file, not the JPEG
// rendition the viewer gets from the data folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Photo, RequestEnvelope, ResponseEnvelope } from '../../../app/api/contract.js';
import { isInside, resolveInsideRoots } from '../../../app/media-access.js';
import { fullRenditionPath, imageFile } from '../../../app/service/image-files.js';
import type { FolderRepo } from '../../../app/store/folders.js';
import type { PhotoRepo, PhotoRow } from '../../../app/store/photos.js';
import { originalPhotoPath } from '../../../main/reveal.js';

let tmp: string;
beforeAll(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ml-confine-')));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('isInside', () => {
  it('accepts files under a Windows drive root and refuses other drives', () => {
    const w = path.win32;
    expect(isInside('D:\\DCIM\\a.jpg', 'D:\\', w)).toBe(true);
    expect(isInside('D:\\a.jpg', 'D:\\', w)).toBe(true);
    expect(isInside('d:\\dcim\\a.jpg', 'D:\\', w)).toBe(true); // drive letters and names are case-insensitive
    expect(isInside('E:\\a.jpg', 'D:\\', w)).toBe(false);
    expect(isInside('C:\\Users\\me\\..photos\\a.jpg', 'C:\\Users\\me', w)).toBe(true);
    expect(isInside('C:\\Users\\me\\..\\you\\a.jpg', 'C:\\Users\\me', w)).toBe(false);
    expect(isInside('C:\\Users\\meme\\a.jpg', 'C:\\Users\\me', w)).toBe(false);
  });

  it('accepts files under "/" and folders named "..photos" on POSIX', () => {
    const p = path.posix;
    expect(isInside('/media/sd/a.jpg', '/', p)).toBe(true);
    expect(isInside('/home/me/..photos/a.jpg', '/home/me', p)).toBe(true);
    expect(isInside('/home/me/..', '/home/me', p)).toBe(false);
    expect(isInside('/home/me/../you/a.jpg', '/home/me', p)).toBe(false);
    expect(isInside('/home/meme/a.jpg', '/home/me', p)).toBe(false);
  });
});

describe('a library at the file-system root', () => {
  const row = (id: number, file: string, format: string): PhotoRow => ({ id, path: file, format, hash: `h${id}`, error: null }) as unknown as PhotoRow;

  it('serves its images (real files, real realpath checks)', async () => {
    const dir = path.join(tmp, '..photos');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'a.jpg');
    fs.writeFileSync(file, 'JPEG');
    expect(await resolveInsideRoots(file, ['/'])).toBe(file);
    expect(await resolveInsideRoots(file, [tmp])).toBe(file);
    const rows = new Map([[1, row(1, file, 'jpeg')]]);
    for (const root of ['/', tmp]) {
      const deps = {
        dataDir: path.join(tmp, 'data'),
        photos: { get: (id: number) => rows.get(id) } as unknown as PhotoRepo,
        folders: { all: () => [{ id: 1, path: root }] } as unknown as FolderRepo,
      };
      expect(await imageFile(deps, 1, 'full'), root).toEqual({ path: file, contentType: 'image/jpeg' });
    }
    const elsewhere = { dataDir: tmp, photos: { get: () => rows.get(1) } as unknown as PhotoRepo, folders: { all: () => [{ id: 1, path: path.join(tmp, 'other') }] } as unknown as FolderRepo };
    await expect(imageFile(elsewhere, 1, 'full')).rejects.toMatchObject({ code: 'bad_input' });
  });
});

describe('Show in folder', () => {
  it("reveals a HEIC photo's original file, not its rendition in the data folder", async () => {
    const lib = path.join(tmp, 'lib');
    const data = path.join(tmp, 'appdata');
    fs.mkdirSync(lib);
    const original = path.join(lib, 'IMG_0001.HEIC');
    fs.writeFileSync(original, 'HEIC');
    const rendition = fullRenditionPath(data, 'abc');
    fs.mkdirSync(path.dirname(rendition), { recursive: true });
    fs.writeFileSync(rendition, 'JPEG');
    const photos: Record<number, Partial<Photo>> = { 5: { id: 5, path: original, format: 'heic' }, 6: { id: 6, path: '/etc/passwd' }, 7: { id: 7, path: '\\\\host\\share\\a.jpg' } };
    const deps = {
      // What the service answers: photos.get by id; the image channel would have given `rendition`.
      call: async (env: RequestEnvelope): Promise<ResponseEnvelope> => {
        const p = photos[(env.params as { id: number }).id];
        return p ? { id: env.id, ok: true, result: p } : { id: env.id, ok: false, error: { code: 'not_found', message: 'no photo' } };
      },
      roots: async () => ({ folders: [lib] }),
    };
    expect(await originalPhotoPath(5, deps)).toBe(original);
    expect(await originalPhotoPath(6, deps)).toBeNull(); // outside every library folder
    expect(await originalPhotoPath(7, deps)).toBeNull(); // never touch a share
    expect(await originalPhotoPath(8, deps)).toBeNull();
    expect(await originalPhotoPath(5, { ...deps, roots: () => Promise.reject(new Error('the library service stopped')) })).toBeNull();
  });
});
