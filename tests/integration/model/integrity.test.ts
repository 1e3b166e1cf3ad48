// Verified stamps (app/model/integrity.ts via the registry): a pack is hashed in full once, later loads
// check sizes and mtimes only; a graph file changed after install is hashed in full again before use,
// and refused when its sha256 no longer matches (`model verify` does the same on demand).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runModelCommand } from '../../../app/model/cli-model.js';
import { ModelRegistry } from '../../../app/model/registry.js';
import { goldenDir, tinyPackDir } from '../../helpers/tiny-pack.js';

const G = goldenDir();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-integrity-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function sink(): NodeJS.WritableStream & { text: () => string } {
  let buf = '';
  const s = new Writable({ write(c: Buffer, _e, cb) { buf += c.toString(); cb(); } });
  return Object.assign(s, { text: () => buf });
}

describe.skipIf(!G)('pack integrity stamps', () => {
  let tiny: string;
  beforeAll(async () => { tiny = (await tinyPackDir())!; }, 60_000);

  it('installed packs load from the stamp; a graph changed after install is re-hashed, and refused when tampered', async () => {
    const data = path.join(tmp, 'data');
    const reg = new ModelRegistry(data, path.join(tmp, 'no-bundled'));
    const installed = await reg.install(tiny);
    const id = installed.manifest.id;
    expect(fs.readdirSync(reg.stampsDir)).toHaveLength(1);
    expect((await reg.get(id)).dir).toBe(installed.dir);

    // same content, new mtime: the stamp no longer vouches for it, so it is hashed in full again (and passes)
    const graph = path.join(installed.dir, 'fusion.onnx');
    const stampFile = path.join(reg.stampsDir, fs.readdirSync(reg.stampsDir)[0]!);
    const before = fs.readFileSync(stampFile, 'utf8');
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(graph, later, later);
    expect((await reg.get(id)).dir).toBe(installed.dir);
    expect(fs.readFileSync(stampFile, 'utf8')).not.toBe(before); // re-stamped with the new mtime

    // tampered bytes of the same size after install: refused (the stat differs, the full hash fails), stamp removed
    const b = fs.readFileSync(graph);
    b[b.length - 10]! ^= 0xff;
    fs.writeFileSync(graph, b);
    await expect(reg.get(id)).rejects.toThrow(/fusion\.onnx fails its sha256 check/);
    expect(fs.readdirSync(reg.stampsDir)).toHaveLength(0);
    await expect(reg.get(id)).rejects.toThrow(/fusion\.onnx fails its sha256 check/);
    const err = sink();
    expect(await runModelCommand(['verify', '--id', id], { dataDir: data, out: sink(), err, json: false })).toBe(1);
    expect(err.text()).toMatch(/fusion\.onnx fails its sha256 check/);
    expect(fs.readdirSync(reg.stampsDir)).toHaveLength(0);
    b[b.length - 10]! ^= 0xff;
    fs.writeFileSync(graph, b);
    const out = sink();
    expect(await runModelCommand(['verify', '--id', id], { dataDir: data, out, err: sink(), json: false })).toBe(0);
    expect(out.text()).toMatch(/sha256 of \d+ files ok/);
    expect((await reg.get(id)).dir).toBe(installed.dir);
  });

  it('a pack first seen without a stamp (bundled) is hashed in full before it is trusted, then stamped', async () => {
    const bundled = path.join(tmp, 'bundled');
    fs.mkdirSync(path.join(bundled, 'p'), { recursive: true });
    for (const f of fs.readdirSync(tiny)) fs.copyFileSync(path.join(tiny, f), path.join(bundled, 'p', f));
    const graph = path.join(bundled, 'p', 'text.onnx');
    const b = fs.readFileSync(graph);
    b[b.length - 3]! ^= 0xff;
    fs.writeFileSync(graph, b);
    const reg = new ModelRegistry(path.join(tmp, 'data2'), bundled);
    const id = reg.list()[0]!.id;
    await expect(reg.get(id)).rejects.toThrow(/text\.onnx fails its sha256 check/);
    expect(fs.existsSync(reg.stampsDir) ? fs.readdirSync(reg.stampsDir) : []).toHaveLength(0);
    b[b.length - 3]! ^= 0xff;
    fs.writeFileSync(graph, b);
    await reg.get(id);
    expect(fs.readdirSync(reg.stampsDir)).toHaveLength(1);
  });
});
