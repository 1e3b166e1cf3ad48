"""CLIP byte-level BPE: the tokenizer (openai/CLIP simple_tokenizer, without ftfy) and a learner that
writes a vocabulary in the CLIP merges format, so the app's tokenizer reads our vocabulary unchanged.

Vocabulary rule (models/README.md, "Model pack format"): vocab = 256 byte chars, the same + '</w>', the merges joined,
'<|startoftext|>', '<|endoftext|>'; SOT = size-2, EOT = size-1, pad = 0.
"""
import collections
import gzip
import html
import io
import re
from typing import Dict, Iterable, List, Tuple

MAX_MERGES = 48894
# CLIP's pattern with \p{L} -> [^\W\d_] and \p{N} -> \d (the 'regex' module is not available here;
# identical on ASCII, which is all the synthetic world uses).
_PAT = re.compile(r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|(?:[^\s\w]|_)+",
                  re.IGNORECASE)


def bytes_to_unicode() -> Dict[int, str]:
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE_ENCODER = bytes_to_unicode()


def clean(text: str) -> str:
    # CLIP: ftfy.fix_text, html.unescape twice, strip, collapse whitespace, lower-case.
    text = html.unescape(html.unescape(text)).strip()
    return re.sub(r'\s+', ' ', text).strip().lower()


def words(text: str) -> List[str]:
    return [''.join(BYTE_ENCODER[b] for b in tok.encode('utf-8')) for tok in _PAT.findall(clean(text))]


class Tokenizer:
    def __init__(self, merges: List[Tuple[str, str]], context_length: int = 77):
        merges = merges[:MAX_MERGES]
        vocab = list(BYTE_ENCODER.values())
        vocab = vocab + [v + '</w>' for v in vocab] + [''.join(m) for m in merges]
        vocab += ['<|startoftext|>', '<|endoftext|>']
        self.encoder = {v: i for i, v in enumerate(vocab)}
        self.decoder = {i: v for v, i in self.encoder.items()}
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.size = len(vocab)
        self.sot, self.eot = self.size - 2, self.size - 1
        self.context_length = context_length
        self._cache = {}

    @classmethod
    def from_file(cls, path: str) -> 'Tokenizer':
        with gzip.open(path, 'rt', encoding='utf-8') as f:
            lines = f.read().split('\n')
        merges = [tuple(line.split()) for line in lines[1:1 + MAX_MERGES] if line.strip()]
        return cls(merges)

    def bpe(self, token: str) -> List[str]:
        if token in self._cache:
            return self._cache[token]
        word = list(token[:-1]) + [token[-1] + '</w>']
        while len(word) > 1:
            pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
            best = min(pairs, key=lambda p: self.ranks.get(p, float('inf')))
            if best not in self.ranks:
                break
            out, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        self._cache[token] = word
        return word

    def encode(self, text: str) -> List[int]:
        ids = [self.sot]
        for w in words(text):
            ids.extend(self.encoder[p] for p in self.bpe(w))
        ids.append(self.eot)
        if len(ids) > self.context_length:
            raise ValueError(f'text is {len(ids)} tokens long, more than {self.context_length}: {text[:60]!r}')
        return ids

    def encode_batch(self, texts: Iterable[str]):
        """-> int64 tensor [B, L] padded with 0 to the longest text (L <= 77)."""
        import torch
        seqs = [self.encode(t) for t in texts]
        L = max(len(s) for s in seqs)
        out = torch.zeros(len(seqs), L, dtype=torch.int64)
        for i, s in enumerate(seqs):
            out[i, :len(s)] = torch.tensor(s)
        return out


def learn_bpe(texts: Iterable[str], max_merges: int, min_count: int = 2) -> List[Tuple[str, str]]:
    """Greedy BPE on word counts (ties broken by the pair's string order, so the result is deterministic).
    A merge whose joined string already exists is skipped so that ids stay one-to-one."""
    counts = collections.Counter()
    for t in texts:
        counts.update(words(t))
    corpus = [[list(w[:-1]) + [w[-1] + '</w>'], c] for w, c in sorted(counts.items())]
    known = set(BYTE_ENCODER.values()) | {v + '</w>' for v in BYTE_ENCODER.values()}
    merges, banned = [], set()
    while len(merges) < max_merges:
        pairs = collections.Counter()
        for sym, c in corpus:
            for i in range(len(sym) - 1):
                pairs[(sym[i], sym[i + 1])] += c
        cands = [(c, p) for p, c in pairs.items() if c >= min_count and p not in banned]
        if not cands:
            break
        c, best = min(cands, key=lambda x: (-x[0], x[1]))
        joined = best[0] + best[1]
        if joined in known:
            banned.add(best)
            continue
        known.add(joined)
        merges.append(best)
        for entry in corpus:
            sym, out, i = entry[0], [], 0
            while i < len(sym):
                if i < len(sym) - 1 and (sym[i], sym[i + 1]) == best:
                    out.append(joined)
                    i += 2
                else:
                    out.append(sym[i])
                    i += 1
            entry[0] = out
    return merges


def write_merges(merges: List[Tuple[str, str]], path: str) -> None:
    """CLIP merges format, gzip; byte-reproducible (mtime 0, no file name, no trailing newline)."""
    text = '\n'.join(['#version: 0.2'] + [f'{a} {b}' for a, b in merges])
    buf = io.BytesIO()
    with gzip.GzipFile(filename='', mode='wb', fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode('utf-8'))
    with open(path, 'wb') as f:
        f.write(buf.getvalue())
