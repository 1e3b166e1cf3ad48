// Pack validation, the registry, and the install flow end to end over a loopback HTTP server
// (127.0.0.1; Range/resume exercised), with every failure leaving nothing installed.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPack } from '../../../app/model/pack.js';
import { ModelRegistry } from '../../../app/model/registry.js';
import { installOfficialModel } from '../../../app/model/install.js';
import { download } from '../../../app/model/download.js';
import { runModelCommand } from '../../../app/model/cli-model.js';
import { goldenDir, tinyPackDir } from '../../helpers/tiny-pack.js';

const G = goldenDir();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-pack-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const emptyBundled = path.join(tmp, 'no-bundled');

function copyDir(src: string, dst: string) {
  fs.mkdirSync(dst, { recursive: true });
  for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(dst, f));
  for (const f of fs.readdirSync(dst)) fs.chmodSync(path.join(dst, f), 0o644);
}

function installedIds(dataDir: string): string[] {
  const d = path.join(dataDir, 'models');
  return fs.existsSync(d) ? fs.readdirSync(d).filter((f) => !f.endsWith('.json')) : [];
}

describe.skipIf(!G)('model packs', () => {
  let tiny: string;
  beforeAll(async () => { tiny = (await tinyPackDir())!; }, 60_000);

  it('loads a valid pack; a tampered, truncated or missing file or a bad manifest is a clear PackError', async () => {
    const p = await loadPack(tiny);
    expect(p.manifest.tokenizer).toMatchObject({ sot: 49406, eot: 49407, pad: 0, contextLength: 77 });
    const bad = path.join(tmp, 'tampered');
    copyDir(tiny, bad);
    const f = path.join(bad, 'fusion.onnx');
    const b = fs.readFileSync(f); b[b.length - 10]! ^= 0xff; fs.writeFileSync(f, b);
    await expect(loadPack(bad)).rejects.toThrow(/fusion\.onnx fails its sha256 check/);
    fs.writeFileSync(f, b.subarray(0, 100));
    await expect(loadPack(bad)).rejects.toThrow(/fusion\.onnx has 100 bytes/);
    fs.rmSync(f);
    await expect(loadPack(bad)).rejects.toThrow(/fusion\.onnx is missing/);
    copyDir(tiny, bad);
    const m = JSON.parse(fs.readFileSync(path.join(bad, 'manifest.json'), 'utf8'));
    m.image.preprocessing = 'stretch';
    fs.writeFileSync(path.join(bad, 'manifest.json'), JSON.stringify(m));
    await expect(loadPack(bad)).rejects.toThrow(/image\.preprocessing/);
    fs.writeFileSync(path.join(bad, 'manifest.json'), '{');
    await expect(loadPack(bad)).rejects.toThrow(/not valid JSON/);
  });

  it('registry: install, list, active (persisted), a tampered pack is refused and nothing is installed, remove', async () => {
    const data = path.join(tmp, 'reg');
    const reg = new ModelRegistry(data, emptyBundled);
    expect(reg.list()).toEqual([]);
    expect(reg.active()).toBeNull();
    const bad = path.join(tmp, 'tampered2');
    copyDir(tiny, bad);
    fs.appendFileSync(path.join(bad, 'text.onnx'), 'x');
    await expect(reg.install(bad)).rejects.toThrow(/text\.onnx/);
    expect(installedIds(data)).toEqual([]);
    await reg.install(tiny);
    expect(reg.list().map((p) => p.id)).toEqual(['magiclens-tiny-golden']);
    expect(reg.active()).toBe('magiclens-tiny-golden');
    reg.setActive('magiclens-tiny-golden');
    expect(JSON.parse(fs.readFileSync(path.join(data, 'models', 'active.json'), 'utf8')).id).toBe('magiclens-tiny-golden');
    // a pack damaged after install is reported by get(), never loaded
    const inst = path.join(data, 'models', 'magiclens-tiny-golden', 'image.onnx');
    const keep = fs.readFileSync(inst);
    const broken = Buffer.from(keep); broken[50]! ^= 1; fs.writeFileSync(inst, broken);
    await expect(reg.get('magiclens-tiny-golden')).rejects.toThrow(/sha256/);
    fs.writeFileSync(inst, keep);
    expect((await reg.get('magiclens-tiny-golden')).manifest.id).toBe('magiclens-tiny-golden');
    reg.remove('magiclens-tiny-golden');
    expect(reg.list()).toEqual([]);
  });

  it('`model verify --golden` prints the comparison table; `verify`, `activate`, `remove` work on installed packs', async () => {
    const data = path.join(tmp, 'cli');
    const out = new PassThrough(), err = new PassThrough();
    let o = '', e = '';
    out.on('data', (d) => { o += d; }); err.on('data', (d) => { e += d; });
    const io = { dataDir: data, out, err, json: false };
    expect(await runModelCommand(['verify', '--golden', G!], io), e).toBe(0);
    expect(o).toMatch(/token ids \(4\/4 identical\)/);
    for (const q of ['pipe: multimodal_embed_norm', 'direct_variant: multimodal_embed', 'clip/text/ln_final', 'pooler/pool_attn probs']) expect(o).toContain(q);
    expect(o).toMatch(/all quantities within tolerance/);
    expect(o).not.toMatch(/FAIL/);
    await new ModelRegistry(data, emptyBundled).install(tiny);
    o = '';
    expect(await runModelCommand(['verify'], io)).toBe(0);
    expect(o).toMatch(/magiclens-tiny-golden: manifest and sha256 of 4 files ok/);
    expect(await runModelCommand(['activate', 'nope'], io)).toBe(1);
    expect(e).toMatch(/no model pack with id nope/);
    expect(await runModelCommand(['activate', 'magiclens-tiny-golden'], io)).toBe(0);
    o = '';
    expect(await runModelCommand(['list'], { ...io, json: true })).toBe(0);
    expect(JSON.parse(o)[0]).toMatchObject({ id: 'magiclens-tiny-golden', active: true, embedDim: 32 });
    expect(await runModelCommand(['remove', 'magiclens-tiny-golden'], io)).toBe(0);
    expect(installedIds(data)).toEqual([]);
    expect(await runModelCommand(['bogus'], io)).toBe(2);
  }, 60_000);

  describe('install over loopback HTTP', () => {
    let server: http.Server;
    let base = '';
    const hits: { url: string; range?: string }[] = [];
    let cutFirstCheckpointAt = 0;
    beforeAll(async () => {
      const files: Record<string, string> = {
        '/magic_lens_clip_tiny.pkl': path.join(G!, 'tiny_checkpoint.pkl'),
        '/bpe_simple_vocab_16e6.txt.gz': path.join(G!, 'bpe_simple_vocab_16e6.txt.gz'),
        '/garbage.pkl': path.join(G!, 'tiny_config.json'),
      };
      server = http.createServer((req, res) => {
        hits.push({ url: req.url!, range: req.headers.range });
        const f = files[req.url!];
        if (!f) { res.writeHead(404); res.end(); return; }
        const data = fs.readFileSync(f);
        const m = /bytes=(\d+)-/.exec(req.headers.range ?? '');
        if (m) {
          const start = Number(m[1]);
          res.writeHead(206, { 'content-length': data.length - start, 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` });
          res.end(data.subarray(start));
          return;
        }
        if (req.url === '/magic_lens_clip_tiny.pkl' && cutFirstCheckpointAt > 0) {
          // announce the full length, send part of it, then drop the connection
          res.writeHead(200, { 'content-length': data.length });
          res.write(data.subarray(0, cutFirstCheckpointAt), () => res.destroy());
          cutFirstCheckpointAt = 0;
          return;
        }
        res.writeHead(200, { 'content-length': data.length });
        res.end(data);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('an interrupted download resumes with a Range request', async () => {
      const dest = path.join(tmp, 'dl', 'ck.pkl');
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      cutFirstCheckpointAt = 1_000_000;
      await expect(download(`${base}/magic_lens_clip_tiny.pkl`, dest)).rejects.toThrow(/partial file kept/);
      // the connection drops after ~1 MB; however much arrived is kept (a reset may lose the tail in flight)
      const partial = fs.statSync(`${dest}.part`).size;
      expect(partial).toBeGreaterThan(0);
      expect(partial).toBeLessThanOrEqual(1_000_000);
      const seen: number[] = [];
      await download(`${base}/magic_lens_clip_tiny.pkl`, dest, { onProgress: (d) => seen.push(d) });
      expect(hits.at(-1)!.range).toBe(`bytes=${partial}-`);
      expect(seen[0]).toBe(partial);
      expect(Buffer.compare(fs.readFileSync(dest), fs.readFileSync(path.join(G!, 'tiny_checkpoint.pkl')))).toBe(0);
    });

    it('`model install` downloads (progress, sha256 of the vocabulary), converts, verifies and installs; `model list` shows it', async () => {
      const data = path.join(tmp, 'app-data');
      const out = new PassThrough(), err = new PassThrough();
      let o = '', e = '';
      out.on('data', (d) => { o += d; }); err.on('data', (d) => { e += d; });
      const code = await runModelCommand(['install', '--checkpoint', `${base}/magic_lens_clip_tiny.pkl`, '--vocab', `${base}/bpe_simple_vocab_16e6.txt.gz`, '--id', 'tiny-from-http', '--name', 'Tiny over HTTP'], { dataDir: data, out, err, json: false });
      expect(e).toMatch(/download-checkpoint 100%/);
      expect(e).toMatch(/download-vocab 100%/);
      expect(e).toMatch(/convert/);
      expect(e).toMatch(/verify/);
      expect(code, e).toBe(0);
      expect(o).toMatch(/installed tiny-from-http/);
      expect(installedIds(data)).toEqual(['tiny-from-http']);
      expect(fs.readdirSync(path.join(data, 'downloads'))).toEqual([]); // downloads removed after install
      o = '';
      expect(await runModelCommand(['list'], { dataDir: data, out, err, json: false })).toBe(0);
      expect(o).toMatch(/\* tiny-from-http/);
    }, 60_000);

    it('a bad checkpoint, a 404 or a wrong vocabulary hash installs nothing', async () => {
      const data = path.join(tmp, 'app-data-bad');
      await expect(installOfficialModel({ dataDir: data, checkpoint: `${base}/garbage.pkl`, vocab: `${base}/bpe_simple_vocab_16e6.txt.gz` })).rejects.toThrow(/not a pickle/);
      await expect(installOfficialModel({ dataDir: data, checkpoint: `${base}/missing.pkl`, vocab: `${base}/bpe_simple_vocab_16e6.txt.gz` })).rejects.toThrow(/HTTP 404/);
      const fakeVocab = path.join(tmp, 'bpe_simple_vocab_16e6.txt.gz');
      fs.writeFileSync(fakeVocab, 'not the real file');
      await expect(installOfficialModel({ dataDir: data, checkpoint: path.join(G!, 'tiny_checkpoint.pkl'), vocab: fakeVocab })).rejects.toThrow(/sha256/);
      const shortVocab = path.join(tmp, 'small_vocab.txt');
      fs.writeFileSync(shortVocab, '#version: 0.2\nh e\n');
      await expect(installOfficialModel({ dataDir: data, checkpoint: path.join(G!, 'tiny_checkpoint.pkl'), vocab: shortVocab })).rejects.toThrow(/49408 rows/);
      expect(installedIds(data)).toEqual([]);
    }, 60_000);
  });
});
