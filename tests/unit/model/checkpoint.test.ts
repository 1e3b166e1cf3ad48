// Checkpoint reader: real tiny checkpoint, our writer in every pickle protocol, pickles written by
// CPython (when a python3 is available), and each kind of bad input giving a clear error.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCheckpoint, readCheckpoint, readWholeFile } from '../../../models/ts/checkpoint.js';
import { writeFlaxCheckpoint, type LeafSpec } from '../../../models/ts/checkpoint-writer.js';
import { asFloat32 } from '../../../models/ts/flax-msgpack.js';
import { unpickleBytes } from '../../../models/ts/pickle.js';
import { goldenDir } from '../../helpers/tiny-pack.js';

const G = goldenDir();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-ckpt-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function leavesFrom(ck: ReturnType<typeof parseCheckpoint>, drop?: string, reshape?: [string, number[]], extra?: string): LeafSpec[] {
  const out: LeafSpec[] = [];
  for (const [p, t] of ck.tensors) {
    if (p === drop) continue;
    const data = asFloat32(t);
    const shape = reshape && reshape[0] === p ? reshape[1] : t.shape;
    out.push({ path: p, shape, fill: (o) => o.set(data.subarray(0, o.length)) });
  }
  if (extra) out.push({ path: extra, shape: [2], fill: (o) => o.fill(1) });
  return out;
}

describe.skipIf(!G)('checkpoint reader', () => {
  const tinyFile = path.join(G ?? '', 'tiny_checkpoint.pkl');
  const tiny = G ? readCheckpoint(tinyFile) : null!;

  it('reads the official tiny checkpoint: 122 float32 leaves, 901,265 params, architecture inferred', () => {
    expect(tiny.tensors.size).toBe(122);
    let n = 0;
    for (const t of tiny.tensors.values()) n += t.bytes.length / 4;
    expect(n).toBe(901265);
    expect(tiny.architecture).toMatchObject({ embedDim: 32, imageSize: 32, patchSize: 8, visionWidth: 48, visionHeads: 2, textWidth: 16, textHeads: 2, fusionHeads: 2, ffnHidden: 64, poolerHeads: 2, poolerHeadDim: 64, vocabSize: 49408 });
    expect(tiny.tensors.get('params/clip/logit_scale')!.shape).toEqual([]);
  });

  const variants: [string, Parameters<typeof writeFlaxCheckpoint>[2]][] = [
    ['protocol 2 (_codecs.encode)', { protocol: 2 }], ['protocol 3 BINBYTES', { protocol: 3 }],
    ['protocol 4 with FRAME', { protocol: 4, frame: true }], ['protocol 5 BINBYTES8', { protocol: 5, binbytes8: true }],
  ];
  for (const [name, opts] of variants) {
    it(`round-trips through our writer: ${name}`, () => {
      const f = path.join(tmp, `rt-${opts!.protocol}.pkl`);
      writeFlaxCheckpoint(f, leavesFrom(tiny), opts);
      const back = readCheckpoint(f);
      expect(back.tensors.size).toBe(122);
      for (const [p, t] of tiny.tensors) expect(Buffer.compare(Buffer.from(back.tensors.get(p)!.bytes), Buffer.from(t.bytes)), p).toBe(0);
    });
  }

  const py = ['/usr/bin/python3', 'python3'].find((p) => { try { execFileSync(p, ['-c', 'import pickle'], { stdio: 'ignore' }); return true; } catch { return false; } });
  it.skipIf(!py)('reads pickles written by CPython in protocols 2, 3, 4 and 5', () => {
    const payload = unpickleBytes(readWholeFile(tinyFile));
    const raw = path.join(tmp, 'payload.bin');
    fs.writeFileSync(raw, payload);
    for (const proto of [2, 3, 4, 5]) {
      const f = path.join(tmp, `py${proto}.pkl`);
      execFileSync(py!, ['-c', `import pickle,sys; pickle.dump(open(sys.argv[1],'rb').read(), open(sys.argv[2],'wb'), protocol=${proto})`, raw, f]);
      const got = unpickleBytes(readWholeFile(f));
      expect(Buffer.compare(Buffer.from(got), Buffer.from(payload)), `protocol ${proto}`).toBe(0);
    }
  });

  it('truncated pickle → clear error', () => {
    const buf = readWholeFile(tinyFile);
    expect(() => parseCheckpoint(buf.subarray(0, Math.floor(buf.length / 2)))).toThrow(/truncated/);
    expect(() => parseCheckpoint(buf.subarray(0, buf.length - 1))).toThrow(/truncated/);
  });

  it('wrong protocol / not a pickle → clear error', () => {
    const buf = Buffer.from(readWholeFile(tinyFile));
    buf[1] = 6;
    expect(() => parseCheckpoint(buf)).toThrow(/unsupported pickle protocol 6/);
    expect(() => parseCheckpoint(Buffer.from('(lp0\nI1\na.'))).toThrow(/protocols 0 and 1 are not supported/);
    expect(() => parseCheckpoint(Buffer.from([0x80, 4, 0x63, ...Buffer.from('os\nsystem\n'), 0x29, 0x52, 0x2e]))).toThrow(/refusing/);
  });

  it('msgpack garbage → clear error', () => {
    const junk = Buffer.alloc(1000);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) % 251;
    junk[0] = 0xc1; // never-used msgpack byte
    const f = Buffer.concat([Buffer.from([0x80, 4, 0x42]), Buffer.from(new Uint32Array([junk.length]).buffer), junk, Buffer.from([0x94, 0x2e])]);
    expect(() => parseCheckpoint(f)).toThrow(/not valid flax msgpack/);
  });

  it('missing key, wrong shape, extra key → errors naming the key', () => {
    const miss = path.join(tmp, 'miss.pkl');
    writeFlaxCheckpoint(miss, leavesFrom(tiny, 'params/multimodal_encoder/x_layers_1/ff_layer/ffn_layer2/bias/b'));
    expect(() => readCheckpoint(miss)).toThrow(/missing key params\/multimodal_encoder\/x_layers_1\/ff_layer\/ffn_layer2\/bias\/b/);
    const shape = path.join(tmp, 'shape.pkl');
    writeFlaxCheckpoint(shape, leavesFrom(tiny, undefined, ['params/clip/text/ln_final/bias', [15]]));
    expect(() => readCheckpoint(shape)).toThrow(/params\/clip\/text\/ln_final\/bias has shape \[15\], expected \[16\]/);
    const extra = path.join(tmp, 'extra.pkl');
    writeFlaxCheckpoint(extra, leavesFrom(tiny, undefined, undefined, 'params/clip/surprise'));
    expect(() => readCheckpoint(extra)).toThrow(/unexpected key params\/clip\/surprise/);
    expect(() => readCheckpoint(path.join(tmp, 'nope.pkl'))).toThrow(/not found/);
  });
});
