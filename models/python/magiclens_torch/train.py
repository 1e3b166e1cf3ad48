"""Training: a CLIP-style stage (our stand-in for the pretrained CLIP the paper starts from), then the
MagicLens recipe (paper section 3.2):

- query q_i = fuse(img(query_i), text(instruction_i)); target t_j = fuse(img(target_j), text(""));
  query negative n_j' = fuse(img(query_j'), text("")), i.e. each query image with an empty instruction;
- loss: for query i, softmax over all targets j in the batch plus all query negatives j', with a
  learnable temperature initialised at 0.07; `query_negatives=False` drops the n_j' (the ablation);
- separate learning rates for new (fusion head + pooler) and reused (CLIP) parameters;
- early stopping on a validation split (instruction-query R@1), keeping the best weights.
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
from .tokenizer import Tokenizer


@dataclass
class ClipStage:
    epochs: int = 12
    batch: int = 128
    lr: float = 2e-3
    weight_decay: float = 0.05
    warmup_steps: int = 50


@dataclass
class MagicLensStage:
    max_epochs: int = 12
    batch: int = 128
    lr_new: float = 1e-3        # fusion head + pooler (new parameters)
    lr_reused: float = 2e-4     # CLIP towers (reused parameters)
    weight_decay: float = 0.05
    temperature: float = 0.07
    query_negatives: bool = True
    patience: int = 3
    warmup_steps: int = 30


def _schedule(opt, base_lrs, step, total, warmup):
    f = min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, step / max(1, total))))
    for g, lr in zip(opt.param_groups, base_lrs):
        g['lr'] = lr * f


def _groups(named, wd):
    # No weight decay on biases, LayerNorm scales, embeddings' 1-d params and the temperature.
    decay = [p for n, p in named if p.ndim >= 2]
    no_decay = [p for n, p in named if p.ndim < 2]
    return [{'params': decay, 'weight_decay': wd}, {'params': no_decay, 'weight_decay': 0.0}]


def train_clip(model: MagicLens, tok: Tokenizer, pixels: torch.Tensor, pairs: List[tuple], cfg: ClipStage,
               gen: torch.Generator, log: Callable[[str], None] = print) -> None:
    """Symmetric InfoNCE on (image, caption); captions of the same object are not treated as negatives
    of each other (same text -> masked), since the world repeats attribute combinations."""
    named = [(n, p) for n, p in model.named_official() if n.startswith('clip/')]
    opt = torch.optim.AdamW(_groups(named, cfg.weight_decay), lr=cfg.lr, betas=(0.9, 0.98), eps=1e-6)
    steps_per_epoch = len(pairs) // cfg.batch
    total = cfg.epochs * steps_per_epoch
    logit_scale = model.w('clip/logit_scale')
    step = 0
    for epoch in range(cfg.epochs):
        model.train()
        order = torch.randperm(len(pairs), generator=gen)
        t0, tot = time.time(), 0.0
        for b in range(steps_per_epoch):
            idx = order[b * cfg.batch:(b + 1) * cfg.batch].tolist()
            rows = torch.tensor([pairs[i][0] for i in idx])
            texts = [pairs[i][1] for i in idx]
            _schedule(opt, [cfg.lr, cfg.lr], step, total, cfg.warmup_steps)
            im = normalize(model.encode_image(pixels[rows]))
            tx = normalize(model.encode_text(tok.encode_batch(texts)))
            logits = logit_scale.clamp(max=math.log(100)).exp() * im @ tx.T
            # Different rows showing the same picture, or the same text, are not negatives.
            same = (rows[:, None] == rows[None, :])
            tid = {t: k for k, t in enumerate(sorted(set(texts)))}
            tt = torch.tensor([tid[t] for t in texts])
            same = same | (tt[:, None] == tt[None, :])
            eye = torch.eye(len(idx), dtype=torch.bool)
            logits = logits.masked_fill(same & ~eye, float('-inf'))
            labels = torch.arange(len(idx))
            loss = 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels))
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot += loss.item()
            step += 1
        log(f'  clip epoch {epoch + 1}/{cfg.epochs}: loss {tot / max(1, steps_per_epoch):.4f} '
            f'scale {logit_scale.exp().item():.1f} ({time.time() - t0:.0f}s)')


def magiclens_loss(model: MagicLens, tok: Tokenizer, pixels: torch.Tensor, batch: List[tuple],
                   log_inv_temp: torch.Tensor, query_negatives: bool) -> torch.Tensor:
    qrows = torch.tensor([t[0] for t in batch])
    trows = torch.tensor([t[2] for t in batch])
    uniq, inv = torch.unique(torch.cat([qrows, trows]), return_inverse=True)
    img = model.encode_image(pixels[uniq])
    qi, ti = inv[:len(batch)], inv[len(batch):]
    txt = model.encode_text(tok.encode_batch([t[1] for t in batch] + ['']))
    instr, empty = txt[:-1], txt[-1:]
    q = normalize(model.fuse(img[qi], instr))
    # Each distinct picture gets one "empty instruction" embedding: targets and query negatives share it.
    e = normalize(model.fuse(img, empty.expand(len(uniq), -1)))
    cands, cand_pic = [e[ti]], [ti]
    if query_negatives:
        cands.append(e[qi])
        cand_pic.append(qi)
    c = torch.cat(cands)
    pic = torch.cat(cand_pic)
    logits = (q @ c.T) * log_inv_temp.exp()
    # A candidate showing the positive picture itself is not a negative (e.g. a->b and b->a in one batch).
    labels = torch.arange(len(batch))
    dup = (pic[None, :] == ti[:, None])
    dup[labels, labels] = False
    logits = logits.masked_fill(dup, float('-inf'))
    return F.cross_entropy(logits, labels)


def train_magiclens(model: MagicLens, tok: Tokenizer, train, val, cfg: MagicLensStage, gen: torch.Generator,
                    log: Callable[[str], None] = print) -> Dict[str, float]:
    named = model.named_official()
    new = [(n, p) for n, p in named if not n.startswith('clip/') ]
    reused = [(n, p) for n, p in named if n.startswith('clip/') and n != 'clip/logit_scale']
    # Training-only temperature (the official checkpoint has no slot for it): tau = exp(-log_inv_temp).
    log_inv_temp = torch.nn.Parameter(torch.tensor(math.log(1.0 / cfg.temperature)))
    groups = _groups(new, cfg.weight_decay) + _groups(reused, cfg.weight_decay) + \
        [{'params': [log_inv_temp], 'weight_decay': 0.0}]
    base = [cfg.lr_new, cfg.lr_new, cfg.lr_reused, cfg.lr_reused, cfg.lr_new]
    opt = torch.optim.AdamW(groups, lr=cfg.lr_new, betas=(0.9, 0.98), eps=1e-6)
    trips = train.triplets
    steps_per_epoch = len(trips) // cfg.batch
    total = cfg.max_epochs * steps_per_epoch
    best, best_state, bad, step = -1.0, None, 0, 0
    for epoch in range(cfg.max_epochs):
        model.train()
        order = torch.randperm(len(trips), generator=gen)
        t0, tot = time.time(), 0.0
        for b in range(steps_per_epoch):
            batch = [trips[i] for i in order[b * cfg.batch:(b + 1) * cfg.batch].tolist()]
            _schedule(opt, base, step, total, cfg.warmup_steps)
            loss = magiclens_loss(model, tok, train.pixels, batch, log_inv_temp, cfg.query_negatives)
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():  # CLIP-style clamp: temperature no lower than 0.01
                log_inv_temp.clamp_(max=math.log(100))
            tot += loss.item()
            step += 1
        m = evaluate(model, tok, val)
        log(f'  magiclens epoch {epoch + 1}/{cfg.max_epochs}: loss {tot / max(1, steps_per_epoch):.4f} '
            f'tau {math.exp(-log_inv_temp.item()):.4f} val R@1 {m["R@1"]:.3f} R@5 {m["R@5"]:.3f} '
            f'query-first {m["query_first"]:.3f} t2i {m["t2i_R@1"]:.3f} ({time.time() - t0:.0f}s)')
        if m['R@1'] > best:
            best, best_state, bad = m['R@1'], copy.deepcopy(model.state_dict()), 0
        else:
            bad += 1
            if bad >= cfg.patience:
                log(f'  early stop: no val improvement for {cfg.patience} epochs')
                break
    model.load_state_dict(best_state)
    return {'best_val_R@1': best, 'epochs': epoch + 1, 'temperature': math.exp(-log_inv_temp.item())}
