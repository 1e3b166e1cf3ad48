// Conversion is deterministic (same checkpoint → byte-identical graphs), and the pack's manifest carries
// the contract fields other modules rely on.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../../models/ts/convert.js';
import { goldenDir } from '../../helpers/tiny-pack.js';

const G = goldenDir();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-conv-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!G)('converter', () => {
  it('is deterministic and writes the manifest contract', async () => {
    const o = { checkpoint: path.join(G!, 'tiny_checkpoint.pkl'), vocab: path.join(G!, 'bpe_simple_vocab_16e6.txt.gz'), id: 'tiny', name: 'Tiny' };
    const a = await convertCheckpoint({ ...o, outDir: path.join(tmp, 'a') });
    const b = await convertCheckpoint({ ...o, outDir: path.join(tmp, 'b'), preprocessing: 'center-crop' });
    expect(a.files).toEqual(b.files);
    expect(a).toMatchObject({
      format: 1, id: 'tiny', demo: false,
      architecture: { embedDim: 32, imageSize: 32, patchSize: 8, visionWidth: 48, visionLayers: 2, visionHeads: 2, textWidth: 16, textLayers: 2, textHeads: 2, contextLength: 77, vocabSize: 49408, fusionLayers: 2, fusionHeads: 2, ffnHidden: 64, poolerHeads: 2 },
      image: { size: 32, preprocessing: 'squash', layout: 'NHWC' },
      tokenizer: { file: 'bpe_vocab.txt.gz', sot: 49406, eot: 49407, pad: 0, contextLength: 77 },
    });
    expect(b.image.preprocessing).toBe('center-crop');
    expect(Object.keys(a.files).sort()).toEqual(['bpe_vocab.txt.gz', 'fusion.onnx', 'image.onnx', 'text.onnx']);
    const onDisk = JSON.parse(fs.readFileSync(path.join(tmp, 'a', 'manifest.json'), 'utf8'));
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(a)));
  });
});
