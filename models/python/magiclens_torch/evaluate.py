"""Held-out metrics: instruction queries (R@1, R@5, mAP@5; positives = every pool picture showing the
target's attributes) and text->image R@1 (canonical caption -> CLIP image embedding)."""
from typing import Dict

import torch

from .model import MagicLens, normalize
from .tokenizer import Tokenizer
from .world import caption


@torch.no_grad()
def embed_pool(model: MagicLens, tok: Tokenizer, pixels: torch.Tensor, batch: int = 256, image_embeds=None):
    img = image_embeds if image_embeds is not None else \
        torch.cat([model.encode_image(pixels[i:i + batch]) for i in range(0, len(pixels), batch)])
    empty = model.encode_text(tok.encode_batch(['']))
    target = normalize(model.fuse(img, empty.expand(len(img), -1)))
    return img, target


@torch.no_grad()
def evaluate(model: MagicLens, tok: Tokenizer, split, batch: int = 256, image_embeds=None) -> Dict[str, float]:
    """`image_embeds`: the split's CLIP image embeddings when the image tower is frozen (saves recomputing)."""
    model.eval()
    img, target = embed_pool(model, tok, split.pixels, batch, image_embeds)
    keys = [p.obj.key() if p.obj is not None else None for p in split.pictures]
    r1 = r5 = ap = qfirst = r1_incl = 0.0
    by_rel = {}
    n = len(split.triplets)
    for s in range(0, n, batch):
        chunk = split.triplets[s:s + batch]
        qi = torch.tensor([c[0] for c in chunk])
        txt = model.encode_text(tok.encode_batch([c[1] for c in chunk]))
        q = normalize(model.fuse(img[qi], txt))
        scores = q @ target.T
        # The paper's failure mode without query negatives: the query picture itself comes first.
        qfirst += float((scores.argmax(1) == qi).sum())
        best_incl = scores.argmax(1)  # R@1 when the query photo stays in the pool (the paper's failure mode)
        r1_incl += sum(keys[int(b)] == keys[c[2]] for b, c in zip(best_incl, chunk))
        # Ranking as the app shows it: the query photo itself is left out (its duplicates stay).
        scores[torch.arange(len(chunk)), qi] = float('-inf')
        top = scores.topk(5, dim=1).indices
        for row, (qrow, _, trow) in enumerate(chunk):
            want = keys[trow]
            rel = [keys[int(j)] == want for j in top[row]]
            npos = sum(k == want for k in keys)
            r1 += rel[0]
            q_obj, t_obj = split.pictures[qrow].obj, split.pictures[trow].obj
            kind = '+'.join(a for a in ('shape', 'colour', 'count', 'size', 'background', 'style')
                            if getattr(q_obj, a) != getattr(t_obj, a))
            kind = 'set' if kind == 'shape' else kind
            hit, cnt = by_rel.get(kind, (0, 0))
            by_rel[kind] = (hit + rel[0], cnt + 1)
            r5 += any(rel)
            hits, prec = 0, 0.0
            for r, ok in enumerate(rel, 1):
                if ok:
                    hits += 1
                    prec += hits / r
            ap += prec / min(5, npos)
    # text -> image over the same pool, one query per distinct object shown
    objs = sorted({k for k, p in zip(keys, split.pictures) if k is not None and p.role == 'item'})
    by_key = {}
    for p in split.pictures:
        if p.obj is not None:
            by_key.setdefault(p.obj.key(), p.obj)
    caps = [caption(by_key[k], 0) for k in objs]
    t = normalize(torch.cat([model.encode_text(tok.encode_batch(caps[i:i + batch])) for i in range(0, len(caps), batch)]))
    best = (t @ normalize(img).T).argmax(1)
    t2i = sum(keys[int(b)] == k for b, k in zip(best, objs)) / max(1, len(objs))
    return {'R@1': r1 / n, 'R@5': r5 / n, 'mAP@5': ap / n, 'query_first': qfirst / n,
            'R@1_query_in_pool': r1_incl / n, 't2i_R@1': t2i,
            'queries': n, 'pool': len(keys), 'captions': len(objs),
            'R@1_by_relation': {k: round(h / c, 3) for k, (h, c) in sorted(by_rel.items()) if c >= 1}}
