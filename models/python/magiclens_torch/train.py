"""Training: a CLIP-style stage (our stand-in for the pretrained CLIP the paper starts from), then the
MagicLens recipe (paper section 3.2):

- query q_i = fuse(img(query_i), text(instruction_i)); target t_j = fuse(img(target_j), text(""));
  query negative n_j' = fuse(img(query_j'), text("")), i.e. each query image with an empty instruction;
- loss: for query i, softmax over all targets j in the batch plus all query negatives j', with a
  learnable temperature initialised at 0.07; `query_negatives=False` drops the n_j' (the ablation);
- separate learning rates for new (fusion head + pooler) and reused (CLIP) parameters;
- early stopping on a validation split (mAP@5 of instruction queries), keeping the best weights.

Deviations for a model trained in minutes on 2 CPU cores (documented in models/README.md):
- the CLIP stage adds attribute-classification heads (training only, discarded) next to the
  contrastive loss: the world's labels teach a small image tower far faster than captions alone;
- the MagicLens stage keeps the image tower frozen by default (its embeddings are computed once, so
  thousands of steps fit in minutes; `train_image_tower=True` trains it at the reused-parameter rate)
  and adds the caption contrastive loss on the text tower, so that plain text search (text ->
  CLIP image embedding, which the app uses) keeps working while the text tower learns instructions.
"""
import copy
import math
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F

from .evaluate import evaluate
from .model import MagicLens, normalize
from .pairs import Siblings, label_triplets
from .tokenizer import Tokenizer
from .world import ATTRS, _values


@dataclass
class ClipStage:
    epochs: int = 20
    batch: int = 128
    lr: float = 2e-3
    weight_decay: float = 0.05
    warmup_steps: int = 50
    attribute_loss: float = 1.0
    shape_weight: float = 4.0   # weight of the shape head among the attribute heads (the hardest attribute)
    count_weight: float = 1.0   # weight of the count head (the next hardest)
    flip: bool = True           # mirror half the pictures left-right (no attribute changes under a mirror)
    shift: int = 4              # > 0: translate each picture by up to this many pixels (edges replicated)


@dataclass
class MagicLensStage:
    max_epochs: int = 12        # with label pairs an epoch is ~4x longer; validation peaks at 9-12
    batch: int = 128
    lr_new: float = 1e-3        # fusion head + pooler (new parameters)
    lr_reused: float = 5e-4     # CLIP towers (reused parameters)
    weight_decay: float = 0.05
    temperature: float = 0.07
    query_negatives: bool = True
    patience: int = 6
    warmup_steps: int = 50
    train_image_tower: bool = False
    caption_loss: float = 1.0
    label_pairs: int = 2        # > 0: add up to this many cross-page label pairs per picture (pairs.py)
    hard_negatives: int = 1     # > 0: per query, this many one-attribute-away pictures as extra negatives


def _schedule(opt, base_lrs, step, total, warmup):
    f = min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, step / max(1, total))))
    for g, lr in zip(opt.param_groups, base_lrs):
        g['lr'] = lr * f


def _groups(named, wd):
    # No weight decay on biases, LayerNorm scales and scalars.
    decay = [p for n, p in named if p.ndim >= 2]
    no_decay = [p for n, p in named if p.ndim < 2]
    return [{'params': decay, 'weight_decay': wd}, {'params': no_decay, 'weight_decay': 0.0}]


def attribute_labels(split) -> torch.Tensor:
    """[N, len(ATTRS)] value index per picture and attribute (-100 = banner, ignored)."""
    rows = []
    for p in split.pictures:
        rows.append([_values(a).index(getattr(p.obj, a)) if p.obj is not None else -100 for a in ATTRS])
    return torch.tensor(rows)


def _masked_clip_loss(im, tx, scale, keys):
    logits = scale * im @ tx.T
    same = (keys[:, None] == keys[None, :]) & ~torch.eye(len(keys), dtype=torch.bool)
    logits = logits.masked_fill(same, float('-inf'))
    labels = torch.arange(len(keys))
    return 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels))


def _shift(px: torch.Tensor, max_shift: int, gen: torch.Generator) -> torch.Tensor:
    """Translate each NHWC picture by its own random offset (edge pixels replicated). No attribute depends
    on position (an object near the border may lose a sliver, ~1 px from the frame at 64 px, but stays
    countable); a shift moves edges across the patch grid, so the tower cannot memorise a picture by where
    its edges fall on patches."""
    b, s = px.shape[0], px.shape[1]
    padded = F.pad(px.permute(0, 3, 1, 2), (max_shift,) * 4, mode='replicate').permute(0, 2, 3, 1)
    off = torch.randint(0, 2 * max_shift + 1, (b, 2), generator=gen).tolist()
    return torch.stack([padded[i, y:y + s, x:x + s] for i, (y, x) in enumerate(off)])


def train_clip(model: MagicLens, tok: Tokenizer, split, pairs: List[tuple], cfg: ClipStage,
               gen: torch.Generator, log: Callable[[str], None] = print) -> torch.nn.ModuleList:
    """Symmetric InfoNCE on (image, caption) + attribute heads shared by both towers. Pictures with the
    same attributes (equivalent captions) are not negatives of each other. Returns the (training-only)
    attribute heads, for diagnostics (`attribute_accuracy`)."""
    d = model.config.embed_dim
    heads = torch.nn.ModuleList([torch.nn.Linear(d, len(_values(a))) for a in ATTRS])
    with torch.no_grad():
        g = torch.Generator().manual_seed(99)
        for h in heads:
            h.weight.copy_(torch.randn(h.weight.shape, generator=g) * d ** -0.5)
            h.bias.zero_()
    labels_all = attribute_labels(split)
    named = [(n, p) for n, p in model.named_official() if n.startswith('clip/')] + list(heads.named_parameters())
    opt = torch.optim.AdamW(_groups(named, cfg.weight_decay), lr=cfg.lr, betas=(0.9, 0.98), eps=1e-6)
    steps_per_epoch = len(pairs) // cfg.batch
    total = cfg.epochs * steps_per_epoch
    logit_scale = model.w('clip/logit_scale')
    step = 0
    for epoch in range(cfg.epochs):
        model.train()
        order = torch.randperm(len(pairs), generator=gen)
        t0, tot, tot_attr = time.time(), 0.0, 0.0
        for b in range(steps_per_epoch):
            idx = order[b * cfg.batch:(b + 1) * cfg.batch].tolist()
            rows = torch.tensor([pairs[i][0] for i in idx])
            _schedule(opt, [cfg.lr, cfg.lr], step, total, cfg.warmup_steps)
            px = split.pixels[rows]
            if cfg.flip:  # NHWC: axis 2 is the width
                px = torch.where(torch.rand(len(rows), 1, 1, 1, generator=gen) < 0.5, px.flip(2), px)
            if cfg.shift:
                px = _shift(px, cfg.shift, gen)
            im = normalize(model.encode_image(px))
            tx = normalize(model.encode_text(tok.encode_batch([pairs[i][1] for i in idx])))
            loss = _masked_clip_loss(im, tx, logit_scale.clamp(max=math.log(100)).exp(), split.key_ids[rows])
            lab = labels_all[rows]
            w = [cfg.shape_weight if a == 'shape' else cfg.count_weight if a == 'count' else 1.0 for a in ATTRS]
            attr = sum(w[k] * F.cross_entropy(h(10 * e), lab[:, k]) for k, h in enumerate(heads) for e in (im, tx)) / (2 * len(ATTRS))
            opt.zero_grad()
            (loss + cfg.attribute_loss * attr).backward()
            opt.step()
            tot += loss.item()
            tot_attr += attr.item()
            step += 1
        log(f'  clip epoch {epoch + 1}/{cfg.epochs}: contrastive {tot / max(1, steps_per_epoch):.4f} '
            f'attributes {tot_attr / max(1, steps_per_epoch):.4f} scale {logit_scale.exp().item():.1f} ({time.time() - t0:.0f}s)')
    return heads


@torch.no_grad()
def attribute_accuracy(model: MagicLens, heads: torch.nn.ModuleList, split, batch: int = 256) -> Dict[str, float]:
    """Accuracy of the CLIP stage's attribute heads on a split's item pictures (image side): tells which
    attributes the image tower fails to see."""
    model.eval()
    rows = [i for i, p in enumerate(split.pictures) if p.obj is not None and p.role == 'item']
    im = normalize(torch.cat([model.encode_image(split.pixels[rows[i:i + batch]]) for i in range(0, len(rows), batch)]))
    lab = attribute_labels(split)[rows]
    pred = torch.stack([h(10 * im).argmax(1) for h in heads], 1)
    ok = pred == lab
    out = {a: round(float(ok[:, k].float().mean()), 4) for k, a in enumerate(ATTRS)}
    out['all'] = round(float(ok.all(1).float().mean()), 4)
    return out


def magiclens_loss(model: MagicLens, tok: Tokenizer, batch: List[tuple], log_inv_temp: torch.Tensor,
                   query_negatives: bool, key_ids: Optional[torch.Tensor] = None,
                   pixels: Optional[torch.Tensor] = None, image_embeds: Optional[torch.Tensor] = None,
                   neg_rows: Optional[List[int]] = None) -> torch.Tensor:
    """The paper's contrastive loss for a batch of (query row, instruction, target row). Images come
    from `image_embeds` (precomputed CLIP embeddings) or are encoded from `pixels`. `neg_rows`: extra
    candidate pictures (hard negatives), shared by every query of the batch."""
    qrows = torch.tensor([t[0] for t in batch])
    trows = torch.tensor([t[2] for t in batch])
    nrows = torch.tensor(neg_rows or [], dtype=torch.long)
    uniq, inv = torch.unique(torch.cat([qrows, trows, nrows]), return_inverse=True)
    img = image_embeds[uniq] if image_embeds is not None else model.encode_image(pixels[uniq])
    qi, ti, ni = inv[:len(batch)], inv[len(batch):2 * len(batch)], inv[2 * len(batch):]
    txt = model.encode_text(tok.encode_batch([t[1] for t in batch] + ['']))
    instr, empty = txt[:-1], txt[-1:]
    q = normalize(model.fuse(img[qi], instr))
    # Each distinct picture gets one "empty instruction" embedding: targets and query negatives share it.
    e = normalize(model.fuse(img, empty.expand(len(uniq), -1)))
    cands, cand_pic = [e[ti]], [ti]
    if query_negatives:
        cands.append(e[qi])
        cand_pic.append(qi)
    if len(ni):
        cands.append(e[ni])
        cand_pic.append(ni)
    c = torch.cat(cands)
    pic = torch.cat(cand_pic)
    logits = (q @ c.T) * log_inv_temp.exp()
    # A candidate showing the positive picture itself (e.g. a->b and b->a in one batch), or a picture with
    # exactly the target's attributes, is not a negative.
    labels = torch.arange(len(batch))
    if key_ids is None:
        dup = pic[None, :] == ti[:, None]
    else:
        kid = key_ids[uniq]
        dup = kid[pic][None, :] == kid[ti][:, None]
    dup[labels, labels] = False
    logits = logits.masked_fill(dup, float('-inf'))
    return F.cross_entropy(logits, labels)


@torch.no_grad()
def _image_embeds(model, pixels, batch=512):
    return torch.cat([model.encode_image(pixels[i:i + batch]) for i in range(0, len(pixels), batch)])


def train_magiclens(model: MagicLens, tok: Tokenizer, train, val, cfg: MagicLensStage, gen: torch.Generator,
                    captions: Optional[List[tuple]] = None, log: Callable[[str], None] = print) -> Dict[str, float]:
    named = model.named_official()
    new = [(n, p) for n, p in named if not n.startswith('clip/')]
    reused = [(n, p) for n, p in named if n.startswith('clip/') and n != 'clip/logit_scale'
              and (cfg.train_image_tower or not n.startswith('clip/visual/'))]
    frozen = [p for n, p in named if n.startswith('clip/visual/') and not cfg.train_image_tower]
    for p in frozen:
        p.requires_grad_(False)
    image_embeds = None if cfg.train_image_tower else _image_embeds(model, train.pixels)
    val_embeds = None if cfg.train_image_tower else _image_embeds(model, val.pixels)
    # Training-only temperature (the official checkpoint has no slot for it): tau = exp(-log_inv_temp).
    log_inv_temp = torch.nn.Parameter(torch.tensor(math.log(1.0 / cfg.temperature)))
    groups = _groups(new, cfg.weight_decay) + _groups(reused, cfg.weight_decay) + \
        [{'params': [log_inv_temp], 'weight_decay': 0.0}]
    base = [cfg.lr_new, cfg.lr_new, cfg.lr_reused, cfg.lr_reused, cfg.lr_new]
    opt = torch.optim.AdamW(groups, lr=cfg.lr_new, betas=(0.9, 0.98), eps=1e-6)
    trips = train.triplets + (label_triplets(train, cfg.label_pairs, seed=77) if cfg.label_pairs else [])
    siblings = Siblings(train) if cfg.hard_negatives else None
    neg_rng = np.random.default_rng(78)
    log(f'  {len(trips)} triplets ({len(train.triplets)} mined)')
    steps_per_epoch = len(trips) // cfg.batch
    total = cfg.max_epochs * steps_per_epoch
    clip_scale = model.w('clip/logit_scale').detach().clamp(max=math.log(100)).exp()
    best, best_state, bad, step = -1.0, None, 0, 0
    for epoch in range(cfg.max_epochs):
        model.train()
        order = torch.randperm(len(trips), generator=gen)
        corder = torch.randperm(len(captions), generator=gen) if captions else None
        t0, tot = time.time(), 0.0
        for b in range(steps_per_epoch):
            batch = [trips[i] for i in order[b * cfg.batch:(b + 1) * cfg.batch].tolist()]
            _schedule(opt, base, step, total, cfg.warmup_steps)
            negs = siblings.sample([t[2] for t in batch], cfg.hard_negatives, neg_rng) if siblings else None
            loss = magiclens_loss(model, tok, batch, log_inv_temp, cfg.query_negatives, train.key_ids,
                                  pixels=train.pixels, image_embeds=image_embeds, neg_rows=negs)
            if captions and cfg.caption_loss > 0:
                cidx = corder[(b * cfg.batch) % max(1, len(captions) - cfg.batch):][:cfg.batch].tolist()
                rows = torch.tensor([captions[i][0] for i in cidx])
                im = normalize(image_embeds[rows] if image_embeds is not None else model.encode_image(train.pixels[rows]))
                tx = normalize(model.encode_text(tok.encode_batch([captions[i][1] for i in cidx])))
                loss = loss + cfg.caption_loss * _masked_clip_loss(im, tx, clip_scale, train.key_ids[rows])
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():  # CLIP-style clamp: temperature no lower than 0.01
                log_inv_temp.clamp_(max=math.log(100))
            tot += loss.item()
            step += 1
        m = evaluate(model, tok, val, image_embeds=val_embeds)
        log(f'  magiclens epoch {epoch + 1}/{cfg.max_epochs}: loss {tot / max(1, steps_per_epoch):.4f} '
            f'tau {math.exp(-log_inv_temp.item()):.4f} val R@1 {m["R@1"]:.3f} R@5 {m["R@5"]:.3f} '
            f'mAP@5 {m["mAP@5"]:.3f} query-first {m["query_first"]:.3f} t2i {m["t2i_R@1"]:.3f} ({time.time() - t0:.0f}s)')
        # Early stopping on validation mAP@5 (steadier than R@1 on a few hundred queries).
        if m['mAP@5'] > best:
            best, best_state, bad = m['mAP@5'], copy.deepcopy(model.state_dict()), 0
        else:
            bad += 1
            if bad >= cfg.patience:
                log(f'  early stop: no val improvement for {cfg.patience} epochs')
                break
    model.load_state_dict(best_state)
    for p in frozen:
        p.requires_grad_(True)
    return {'best_val_mAP@5': best, 'epochs': epoch + 1, 'temperature': math.exp(-log_inv_temp.item())}
