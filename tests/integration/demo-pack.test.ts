// The committed demo pack is a valid, clearly labelled pack, and its vocabulary (made by models/python)
// tokenises exactly as the Python side that trained the model does.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_ROOT, BUNDLED_PACKS_DIR } from '../../app/paths.js';
import { loadPack } from '../../app/model/pack.js';
import { ClipTokenizer } from '../../app/model/tokenizer.js';
import { readBpeMerges } from '../../models/ts/bpe-vocab.js';

const DIR = path.join(BUNDLED_PACKS_DIR, 'demo');
const PYTHON = process.env.MAGICLENS_PYTHON ?? '/usr/bin/python3';
const havePack = fs.existsSync(path.join(DIR, 'manifest.json'));
if (!havePack) console.warn(`demo-pack: skipped: no pack at ${DIR}`);

function pythonOk(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import numpy, PIL'], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn(`demo-pack: tokenizer cross-check skipped: ${PYTHON} with numpy/PIL missing (set MAGICLENS_PYTHON)`);
    return false;
  }
}

describe.skipIf(!havePack)('committed demo pack', () => {
  it('loads with every sha256 checked, labelled demo, a few MB', async () => {
    const pack = await loadPack(DIR, { verifyHashes: true });
    const m = pack.manifest;
    expect(m.demo).toBe(true);
    expect(m.name).toMatch(/demo/i);
    expect(m.image.preprocessing).toBe('squash');
    const merges = readBpeMerges(pack.path(m.tokenizer.file));
    expect(m.architecture.vocabSize).toBe(512 + merges.length + 2);
    expect([m.tokenizer.sot, m.tokenizer.eot]).toEqual([m.architecture.vocabSize - 2, m.architecture.vocabSize - 1]);
    const bytes = Object.values(m.files).reduce((s, f) => s + f.bytes, 0);
    expect(bytes).toBeLessThan(12 * 1024 * 1024);
  });

  it.skipIf(!pythonOk())('tokenises like the Python tokenizer the model was trained with', () => {
    const vocab = path.join(DIR, 'bpe_vocab.txt.gz');
    const texts = ['', 'a pencil sketch of three small pink hearts on a sandy beach', 'same stars but red',
      'make it larger, as a photo', 'the other item from the same set', 'Two   RED &amp; blue moons!!',
      "what's in the sky at night? 42 zebras", 'café ünïcode ✓'];
    const script = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(path.join(APP_ROOT, 'models', 'python'))})`,
      'from magiclens_torch.tokenizer import Tokenizer',
      `tok = Tokenizer.from_file(${JSON.stringify(vocab)})`,
      'print(json.dumps([tok.encode(t) for t in json.loads(sys.stdin.read())]))',
    ].join('\n');
    const py = JSON.parse(execFileSync(PYTHON, ['-c', script], { input: JSON.stringify(texts) }).toString()) as number[][];
    const ts = ClipTokenizer.fromFile(vocab);
    texts.forEach((t, i) => expect(ts.encode(t), t).toEqual(py[i]));
  });
});
