// The official CLIP tokenizer (openai/CLIP simple_tokenizer.py as used by scenic): clean, split with
// CLIP's regex, byte-level BPE with "</w>" word ends, [SOT] + ids + [EOT], context 77, pad 0.
// The BPE itself runs on @huggingface/tokenizers, configured in memory as the equivalent of CLIP's
// tokenizer.json (Split on CLIP's pattern, ByteLevel without its own regex, BPE with end_of_word_suffix).
import { Tokenizer } from '@huggingface/tokenizers';
import { buildVocab, readBpeMerges } from '../../models/ts/bpe-vocab.js';
import { clipClean } from './text-clean.js';

export const CONTEXT_LENGTH = 77;
// CLIP's pattern (Python `regex`, IGNORECASE on already lower-cased text)
const CLIP_PATTERN = "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

export class TokenizerError extends Error {
  constructor(message: string) { super(message); this.name = 'TokenizerError'; }
}

export class ClipTokenizer {
  readonly sot: number;
  readonly eot: number;
  readonly vocabSize: number;
  private readonly hf: Tokenizer;
  private readonly cache = new Map<string, number[]>();

  constructor(merges: [string, string][], readonly contextLength = CONTEXT_LENGTH) {
    const vocabList = buildVocab(merges);
    this.vocabSize = vocabList.length;
    this.sot = this.vocabSize - 2;
    this.eot = this.vocabSize - 1;
    const vocab: Record<string, number> = {};
    vocabList.forEach((t, i) => { vocab[t] = i; });
    this.hf = new Tokenizer({
      version: '1.0',
      added_tokens: [
        { id: this.sot, content: '<|startoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true },
        { id: this.eot, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true },
      ],
      normalizer: null,
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { Regex: CLIP_PATTERN }, behavior: 'Removed', invert: true },
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
        ],
      },
      post_processor: null,
      decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      model: {
        type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '</w>',
        fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: merges.map(([a, b]) => `${a} ${b}`),
      },
    }, {});
  }

  static fromFile(file: string): ClipTokenizer {
    return new ClipTokenizer(readBpeMerges(file));
  }

  /** [SOT, ...bpe, EOT], unpadded. Throws past the context length (the official tokenizer has truncate=False). */
  encode(text: string): number[] {
    const cached = this.cache.get(text);
    if (cached) return cached.slice();
    const clean = clipClean(text);
    const body = clean === '' ? [] : this.hf.encode(clean, { add_special_tokens: false }).ids;
    const ids = [this.sot, ...body, this.eot];
    if (ids.length > this.contextLength) {
      throw new TokenizerError(`instruction is too long: ${ids.length} tokens, the model reads at most ${this.contextLength} (including start and end)`);
    }
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(text, ids);
    return ids.slice();
  }

  encodePadded(text: string): BigInt64Array {
    const out = new BigInt64Array(this.contextLength);
    this.encode(text).forEach((v, i) => { out[i] = BigInt(v); });
    return out;
  }
}
