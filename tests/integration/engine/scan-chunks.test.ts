// A large first scan announces its photos chunk by chunk (app/library/library.ts reconcile): the grid and
// the index pass start on the first files found instead of waiting until every file has been hashed.
// 600 files = chunks of 256, 256 and 88; no model, so nothing is embedded and the counts are the scan's.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createService } from '../../../app/service.js';
import { emptyBundledDir, noise, tempDir } from '../../helpers/engine.js';

const root = tempDir('ml-scan-chunks-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('scan of a large folder', () => {
  it('announces the photos of each finished chunk, and all of them once', async () => {
    const lib = path.join(root, 'lib');
    fs.mkdirSync(lib);
    // distinct contents (a PNG signature + noise: the scan hashes, it does not decode)
    for (let i = 0; i < 600; i++) fs.writeFileSync(path.join(lib, `p${i}.png`), Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), noise(i + 1, 64)]));
    const svc = await createService({ dataDir: path.join(root, 'data'), bundledPacksDir: emptyBundledDir(root), watch: false, threads: 1 });
    try {
      const added: number[] = [];
      svc.onEvent((e) => {
        if (e.event === 'photos.changed' && (e.data as { added: number }).added > 0) added.push((e.data as { added: number }).added);
      });
      await svc.handlers['folders.add']({ path: lib, exclude: [] });
      await svc.scansIdle();
      expect(added).toEqual([256, 256, 88]);
      expect(svc.db.prepare('SELECT count(*) AS n FROM photos').get()).toEqual({ n: 600 });
    } finally {
      await svc.close();
    }
  });
});
