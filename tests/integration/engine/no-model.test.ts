// Without any model pack the library still works (folders, scan, photos, errors); searches say
// clearly that a model is needed instead of failing obscurely, and nothing is half-indexed.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../app/api/contract.js';
import { createService } from '../../../app/service.js';
import { emptyBundledDir, tempDir, writePhoto } from '../../helpers/engine.js';

const root = tempDir('ml-nomodel-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('no model pack installed', () => {
  it('scans folders, keeps photos pending, and answers searches with "unavailable"', async () => {
    const lib = path.join(root, 'lib');
    for (let i = 0; i < 3; i++) await writePhoto(path.join(lib, `a${i}.jpg`), i + 1);
    fs.writeFileSync(path.join(lib, 'bad.jpg'), '');
    const svc = await createService({ dataDir: path.join(root, 'data'), bundledPacksDir: emptyBundledDir(root), watch: false });
    try {
      const f = await svc.handlers['folders.add']({ path: lib, exclude: [] });
      await svc.scansIdle();
      await svc.whenIdle();
      const s = await svc.handlers['status.get']({});
      expect(s.model).toBeNull();
      expect(s.photos).toMatchObject({ total: 4, pending: 4, indexed: 0 });
      expect((await svc.handlers['folders.list']({}))[0]).toMatchObject({ id: f.id, photoCount: 4, available: true });
      const r = await dispatch(svc.handlers, { id: 1, method: 'search.text', params: { text: 'a dog' } });
      expect(r).toMatchObject({ ok: false, error: { code: 'unavailable' } });
      expect(JSON.stringify(r)).toMatch(/model pack/);
      const bad = await dispatch(svc.handlers, { id: 2, method: 'search.compose', params: { photo: { id: 1 } } });
      expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_request' } }); // instruction missing
      const nf = await dispatch(svc.handlers, { id: 3, method: 'folders.add', params: { path: path.join(root, 'nope') } });
      expect(nf).toMatchObject({ ok: false, error: { code: 'bad_input' } });
      const overlap = await dispatch(svc.handlers, { id: 4, method: 'folders.add', params: { path: root } });
      expect(overlap).toMatchObject({ ok: false, error: { code: 'conflict' } });
    } finally {
      await svc.close();
    }
  });
});
