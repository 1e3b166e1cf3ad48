// A fresh service answers a photo + instruction query on a library photo without loading sharp (libvips):
// its native module costs ~0.2 s of start-up that this path never needs (app/media/sharp-lazy.ts). Checked
// in a fresh process through the shared objects it has mapped (Linux).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyBundledDir, tempDir, tinyService, writePhoto } from '../../helpers/engine.js';

const root = tempDir('ml-lazy-sharp-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe.runIf(process.platform === 'linux')('sharp is loaded on first use', () => {
  it('a composed query on a library photo in a fresh process maps no libvips; a decode then does', { timeout: 120_000 }, async () => {
    const lib = path.join(root, 'lib');
    for (let i = 0; i < 6; i++) await writePhoto(path.join(lib, `p${i}.png`), 300 + i, { fmt: 'png', width: 48, height: 40 });
    const svc = await tinyService(root);
    if (!svc) return; // no golden reference data
    await svc.handlers['folders.add']({ path: lib, exclude: [] });
    await svc.whenIdle();
    const dataDir = svc.dataDir;
    await svc.close();
    const script = `
      import fs from 'node:fs';
      import { createService } from ${JSON.stringify(path.resolve('app/service.ts'))};
      const vips = () => /libvips|sharp-[a-z0-9-]+\\.node/.test(fs.readFileSync('/proc/self/maps', 'utf8'));
      const svc = await createService({ dataDir: ${JSON.stringify(dataDir)}, bundledPacksDir: ${JSON.stringify(emptyBundledDir(root))}, watch: false, threads: 1 });
      const r = await svc.handlers['search.compose']({ photo: { id: 1 }, instruction: 'the same in blue', limit: 3, offset: 0, filters: {} });
      const afterQuery = vips();
      const { ingestImage } = await import(${JSON.stringify(path.resolve('app/media/ingest.ts'))});
      await ingestImage(fs.readFileSync(${JSON.stringify(path.join(lib, 'p0.png'))}), { size: 32, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], mode: 'squash' }, { thumb: true });
      console.log(JSON.stringify({ hits: r.hits.length, afterQuery, afterDecode: vips() }));
      await svc.close();`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: path.resolve('.'), encoding: 'utf8', timeout: 100_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { hits: number; afterQuery: boolean; afterDecode: boolean };
    expect(out.hits).toBe(3);
    expect(out.afterQuery).toBe(false);
    expect(out.afterDecode).toBe(true); // the probe does see libvips once it is loaded
  });
});
