// The interactive lane's tokenizer in a worker thread (app/model/token-source.ts, real worker, real ORT):
// the same ids and embeddings as the tokenizer on this thread, the same error for a too-long instruction,
// and a vocabulary that does not fit the model refused at open.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPack } from '../../../app/model/pack.js';
import { MagicLensRuntime } from '../../../app/model/runtime.js';
import { localTokens, workerTokens } from '../../../app/model/token-source.js';
import { TokenizerError } from '../../../app/model/tokenizer.js';
import { tempDir } from '../../helpers/engine.js';
import { tinyPackDir } from '../../helpers/tiny-pack.js';

const dir = await tinyPackDir();
const root = tempDir('ml-tokens-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const TEXTS = ['a red dress', 'the same but at night', '', 'Café Ünïcode 123 — naïve, isn\'t it?', 'a photo of a dog on the beach'];

describe.skipIf(!dir)('tokenizer in a worker thread', () => {
  it('gives the same ids as the tokenizer on this thread, and the same error for too many tokens', async () => {
    const pack = await loadPack(dir!);
    const here = localTokens(pack);
    const there = workerTokens(pack);
    try {
      await there.ready;
      expect(await there.encode(TEXTS)).toEqual(await here.encode(TEXTS));
      const long = 'word '.repeat(100);
      const a = await here.encode([long]).catch((e: Error) => e);
      const b = await there.encode([long]).catch((e: Error) => e);
      expect(b).toBeInstanceOf(TokenizerError);
      expect((b as Error).message).toBe((a as Error).message);
    } finally {
      await there.close();
    }
  });

  it('a runtime with the worker tokenizer embeds texts exactly as one without', { timeout: 60_000 }, async () => {
    const pack = await loadPack(dir!);
    const a = await MagicLensRuntime.open(pack, { providers: ['cpu'] });
    const b = await MagicLensRuntime.open(pack, { providers: ['cpu'], tokenizerWorker: true });
    try {
      expect(Array.from(await b.embedTexts(TEXTS))).toEqual(Array.from(await a.embedTexts(TEXTS)));
      expect(Array.from(await b.emptyTextEmbedding())).toEqual(Array.from(await a.emptyTextEmbedding()));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a vocabulary that does not fit the model is refused at open', { timeout: 60_000 }, async () => {
    const copy = path.join(root, 'bad-vocab');
    fs.cpSync(dir!, copy, { recursive: true });
    const m = JSON.parse(fs.readFileSync(path.join(copy, 'manifest.json'), 'utf8')) as { architecture: { vocabSize: number } };
    m.architecture.vocabSize += 1;
    fs.writeFileSync(path.join(copy, 'manifest.json'), JSON.stringify(m));
    const pack = await loadPack(copy, { verifyHashes: false });
    await expect(MagicLensRuntime.open(pack, { providers: ['cpu'], tokenizerWorker: true })).rejects.toThrow(/vocabulary has \d+ tokens, model expects \d+/);
  });
});
