// CLIP tokenizer: golden ids, agreement with an independent plain BPE over varied text, cleaning rules,
// the 77-token limit, and small vocabularies (as models/python trains).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClipTokenizer, TokenizerError } from '../../../app/model/tokenizer.js';
import { buildVocab, bytesToUnicode, readBpeMerges } from '../../../models/ts/bpe-vocab.js';
import { clipClean } from '../../../app/model/text-clean.js';
import { goldenDir } from '../../helpers/tiny-pack.js';

const G = goldenDir();

/** Straightforward CLIP BPE (simple_tokenizer.py's algorithm), to cross-check the library-based one. */
function referenceEncoder(merges: [string, string][]) {
  const list = buildVocab(merges);
  const vocab = new Map(list.map((t, i) => [t, i]));
  const ranks = new Map(merges.map(([a, b], i) => [`${a} ${b}`, i]));
  const byteEnc = bytesToUnicode();
  const pat = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;
  const bpe = (token: string): string[] => {
    const chars = [...token];
    let word = [...chars.slice(0, -1), chars[chars.length - 1] + '</w>'];
    for (;;) {
      let best: [number, number] | null = null;
      for (let i = 0; i < word.length - 1; i++) {
        const r = ranks.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && (!best || r < best[0])) best = [r, i];
      }
      if (!best) return word;
      const [a, b] = [word[best[1]]!, word[best[1] + 1]!];
      const next: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (i < word.length - 1 && word[i] === a && word[i + 1] === b) { next.push(a + b); i += 2; } else { next.push(word[i]!); i++; }
      }
      word = next;
    }
  };
  return (text: string): number[] => {
    const out: number[] = [];
    for (const m of clipClean(text).matchAll(pat)) {
      if (m[0] === '<|startoftext|>' || m[0] === '<|endoftext|>') { out.push(vocab.get(m[0])!); continue; }
      const t = [...Buffer.from(m[0], 'utf8')].map((b) => byteEnc[b]).join('');
      for (const piece of bpe(t)) out.push(vocab.get(piece)!);
    }
    return [list.length - 2, ...out, list.length - 1];
  };
}

describe('text cleaning', () => {
  it('follows CLIP: double HTML unescape, whitespace collapse, lower-case, ftfy-style fixes', () => {
    expect(clipClean('  Hello\t\n  WORLD  ')).toBe('hello world');
    expect(clipClean('Fish &amp;amp; Chips &lt;3')).toBe('fish & chips <3');
    expect(clipClean('it’s “quoted”')).toBe('it\'s "quoted"');
    expect(clipClean('ﬁne ＡＢＣ１')).toBe('fine abc1');
    expect(clipClean('e\u0301')).toBe('é'); // NFC
    expect(clipClean('a\u0000b\x1b[31mred\x1b[0m')).toBe('abred');
    // mojibake (UTF-8 shown as Windows-1252) is repaired, genuine accented text is left alone
    expect(clipClean('cafÃ© â€œniceâ€\u009d donâ€™t')).toBe('café "nice" don\'t');
    expect(clipClean('SÃ£o Paulo Ã\u00a0 la carte')).toBe('são paulo à la carte');
    expect(clipClean('Ã la mode, Â£5, Ãtienne')).toBe('ã la mode, £5, ãtienne'); // "Â£" is itself the classic mojibake of £
  });
});

describe.skipIf(!G)('CLIP tokenizer', () => {
  const vocabFile = path.join(G ?? '', 'bpe_simple_vocab_16e6.txt.gz');
  const tok = G ? ClipTokenizer.fromFile(vocabFile) : null!;

  it('reproduces the official ids for the golden texts', () => {
    const ref = JSON.parse(fs.readFileSync(path.join(G!, 'tokens_full_tokenizer.json'), 'utf8'));
    expect(tok.vocabSize).toBe(49408);
    ref.texts.forEach((t: string, i: number) => {
      const ids: number[] = ref.token_ids[i];
      const n = ids.indexOf(49407) + 1;
      expect(tok.encode(t)).toEqual(ids.slice(0, n));
      expect(Array.from(tok.encodePadded(t), Number)).toEqual(ids);
    });
  });

  it('agrees with a plain reference BPE on varied text', () => {
    const ref = referenceEncoder(readBpeMerges(vocabFile));
    const texts = [
      'A photo of a dog', "don't we'll they're I'm it'd you've", 'the 2024 olympics: 100m in 9.58s!!', 'naïve café résumé Ångström',
      '東京タワー at night', 'emoji 🐶🚗✨ and symbols ©®™ § ¶', 'hyphen-ated, comma;semi:colon/slash\\back', 'UPPER lower MiXeD',
      '<|startoftext|>inside<|endoftext|>', 'a  b\u00a0c\u2003d', 'x'.repeat(40), 'anti-disestablishmentarianism', '12345', "rock'n'roll",
    ];
    for (const t of texts) expect(tok.encode(t), t).toEqual(ref(t));
  });

  it('has a hard 77-token limit (the official tokenizer raises; nothing is truncated silently)', () => {
    const ok = Array(75).fill('dog').join(' ');
    expect(tok.encode(ok)).toHaveLength(77);
    expect(() => tok.encode(ok + ' dog')).toThrow(TokenizerError);
    expect(() => tok.encode(ok + ' dog')).toThrow(/78 tokens/);
  });

  it('empty text is [SOT, EOT]', () => {
    expect(tok.encode('')).toEqual([49406, 49407]);
    expect(tok.encode('   ')).toEqual([49406, 49407]);
  });
});

describe('small vocabularies', () => {
  it('sizes and special ids follow the shared vocabulary rule', () => {
    const merges: [string, string][] = [['h', 'e'], ['l', 'l'], ['he', 'll'], ['hell', 'o</w>']];
    const t = new ClipTokenizer(merges);
    expect(t.vocabSize).toBe(512 + 4 + 2);
    expect([t.sot, t.eot]).toEqual([516, 517]);
    expect(t.encode('hello')).toEqual([516, 512 + 3, 517]);
    expect(t.encode('hello')).toEqual(referenceEncoder(merges)('hello'));
    expect(t.encode('hi!')).toEqual(referenceEncoder(merges)('hi!'));
  });
});
