// The CLIP BPE vocabulary file (gzip or plain text: a header line, then one merge "a b" per line).
// Vocabulary rule shared with models/python: merges = lines[1 : 1 + min(n, 48894)];
// vocab = 256 byte chars, the same + "</w>", the joined merges, "<|startoftext|>", "<|endoftext|>".
import fs from 'node:fs';
import zlib from 'node:zlib';

export const MAX_MERGES = 49152 - 256 - 2; // 48894, as in openai/CLIP simple_tokenizer.py

export class VocabError extends Error {
  constructor(message: string) { super(message); this.name = 'VocabError'; }
}

export function readBpeText(file: string): string {
  const raw = fs.readFileSync(file);
  const isGzip = raw[0] === 0x1f && raw[1] === 0x8b;
  try {
    return (isGzip ? zlib.gunzipSync(raw) : raw).toString('utf8');
  } catch (e) {
    throw new VocabError(`cannot read BPE vocabulary ${file}: ${(e as Error).message}`);
  }
}

export function parseBpeMerges(text: string, source = 'vocabulary'): [string, string][] {
  const lines = text.split('\n');
  // line 0 is a header (in the official file it even carries the gzip member name); it is skipped unread, as in CLIP
  if (lines.length < 2) throw new VocabError(`${source} is not a CLIP BPE merges file (no merges)`);
  let body = lines.slice(1, 1 + MAX_MERGES);
  while (body.length && body[body.length - 1] === '') body = body.slice(0, -1);
  return body.map((l, i) => {
    const parts = l.split(' ');
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw new VocabError(`${source} line ${i + 2} is not a merge "a b": ${JSON.stringify(l.slice(0, 40))}`);
    return [parts[0], parts[1]];
  });
}

export function readBpeMerges(file: string): [string, string][] {
  return parseBpeMerges(readBpeText(file), file);
}

export function vocabSizeFor(nMerges: number): number {
  return 512 + nMerges + 2;
}

/** GPT-2/CLIP byte ↔ unicode table, in CLIP's order (printable bytes first). */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) { bs.push(b); cs.push(256 + n); n++; }
  }
  const table: string[] = new Array(256);
  bs.forEach((b, i) => { table[b] = String.fromCodePoint(cs[i]!); });
  return table;
}

/** Byte-unicode characters in CLIP vocabulary order (the order of bytes_to_unicode().values()). */
export function byteVocabOrder(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const table = bytesToUnicode();
  const order = bs.slice();
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) order.push(b);
  return order.map((b) => table[b]!);
}

export function buildVocab(merges: [string, string][]): string[] {
  const base = byteVocabOrder();
  return [...base, ...base.map((v) => v + '</w>'), ...merges.map(([a, b]) => a + b), '<|startoftext|>', '<|endoftext|>'];
}
