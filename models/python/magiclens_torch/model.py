"""MagicLens forward pass in PyTorch, parameter for parameter the official flax model.

Parameters live in one flat dict keyed by the flax path, so the official checkpoint loads and saves
without a name map. Numerics follow reference/magiclens/README.md ("Model facts").
"""
import math
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import Config

F32_MIN = torch.finfo(torch.float32).min
CLIP_LN_EPS = 1e-5
ML_LN_EPS = 1e-6
LOGIT_CAP = 50.0


def _key(path: str) -> str:
    # nn.ParameterDict keys may not contain '.', and '/' reads badly as an attribute; '__' is reversible.
    return path.replace('/', '__')


def param_shapes(c: Config) -> Dict[str, tuple]:
    """The official parameter tree (flax paths -> shapes) for a config."""
    s = {'clip/logit_scale': ()}

    def clip_block(prefix, w, heads, mlp):
        dh = w // heads
        for n in ('query', 'key', 'value'):
            s[f'{prefix}/attn/{n}/kernel'] = (w, heads, dh)
            s[f'{prefix}/attn/{n}/bias'] = (heads, dh)
        s[f'{prefix}/attn/out/kernel'] = (heads, dh, w)
        s[f'{prefix}/attn/out/bias'] = (w,)
        for ln in ('ln_1', 'ln_2'):
            s[f'{prefix}/{ln}/scale'] = (w,)
            s[f'{prefix}/{ln}/bias'] = (w,)
        s[f'{prefix}/mlp/c_fc/kernel'] = (w, mlp)
        s[f'{prefix}/mlp/c_fc/bias'] = (mlp,)
        s[f'{prefix}/mlp/c_proj/kernel'] = (mlp, w)
        s[f'{prefix}/mlp/c_proj/bias'] = (w,)

    vw, tw, d = c.vision_width, c.text_width, c.embed_dim
    grid = c.image_size // c.patch_size
    s['clip/visual/conv1/kernel'] = (c.patch_size, c.patch_size, 3, vw)
    s['clip/visual/class_embedding'] = (vw,)
    s['clip/visual/positional_embedding'] = (grid * grid + 1, vw)
    for ln in ('ln_pre', 'ln_post'):
        s[f'clip/visual/{ln}/scale'] = (vw,)
        s[f'clip/visual/{ln}/bias'] = (vw,)
    s['clip/visual/proj/kernel'] = (vw, d)
    for i in range(c.vision_layers):
        clip_block(f'clip/visual/transformer/resblocks_{i}', vw, c.vision_heads, 4 * vw)

    s['clip/text/token_embedding/embedding'] = (c.vocab_size, tw)
    s['clip/text/positional_embedding'] = (c.context_length, tw)
    s['clip/text/ln_final/scale'] = (tw,)
    s['clip/text/ln_final/bias'] = (tw,)
    s['clip/text/text_projection/kernel'] = (tw, d)
    for i in range(c.text_layers):
        clip_block(f'clip/text/transformer/resblocks_{i}', tw, c.text_heads, 4 * tw)

    fh = d // c.fusion_heads
    for i in range(c.fusion_layers):
        p = f'multimodal_encoder/x_layers_{i}'
        for n in ('query', 'key', 'value', 'post'):
            s[f'{p}/self_attention/{n}/w'] = (d, c.fusion_heads, fh)
            s[f'{p}/self_attention/{n}/b'] = (d,) if n == 'post' else (c.fusion_heads, fh)
        for ln in (f'{p}/layer_norm', f'{p}/ff_layer/layer_norm'):
            s[f'{ln}/scale'] = (d,)
            s[f'{ln}/bias'] = (d,)
        s[f'{p}/ff_layer/ffn_layer1/linear/w'] = (d, c.ffn_hidden)
        s[f'{p}/ff_layer/ffn_layer1/bias/b'] = (c.ffn_hidden,)
        s[f'{p}/ff_layer/ffn_layer2/linear/w'] = (c.ffn_hidden, d)
        s[f'{p}/ff_layer/ffn_layer2/bias/b'] = (d,)

    ph = 4 * d // c.pooler_heads
    p = 'contrastive_multimodal_pooler'
    for n in ('query', 'key', 'value', 'post'):
        s[f'{p}/pool_attn/{n}/w'] = (d, c.pooler_heads, ph)
        s[f'{p}/pool_attn/{n}/b'] = (d,) if n == 'post' else (c.pooler_heads, ph)
    s[f'{p}/pool_attn/per_dim_scale/per_dim_scale'] = (ph,)
    s[f'{p}/pool_attn_ln/scale'] = (d,)
    s[f'{p}/pool_attn_ln/bias'] = (d,)
    s[f'{p}/pooling_attn_query'] = (1, d)
    return s


def init_params(c: Config, generator: torch.Generator) -> Dict[str, torch.Tensor]:
    """Fresh weights in the spirit of CLIP/flax initialisers (scaled normals, LN scale per module kind)."""
    out = {}
    for path, shape in sorted(param_shapes(c).items()):
        name = path.rsplit('/', 1)[-1]
        if path == 'clip/logit_scale':
            t = torch.tensor(math.log(1 / 0.07))
        elif name in ('bias', 'b', 'per_dim_scale'):
            t = torch.zeros(shape)
        elif name == 'scale':
            # CLIP LN is y*scale (scale=1); MagicLens LN is y*(1+scale) (scale=0).
            t = torch.ones(shape) if path.startswith('clip/') else torch.zeros(shape)
        else:
            fan_in = shape[0] if len(shape) > 1 else shape[-1]
            if name == 'kernel' and path.endswith('conv1/kernel'):
                fan_in = shape[0] * shape[1] * shape[2]
            if path.endswith('/out/kernel'):
                fan_in = shape[0] * shape[1]
            std = 0.02 if 'embedding' in name or name == 'pooling_attn_query' else fan_in ** -0.5
            t = torch.randn(shape, generator=generator) * std
        out[path] = t.float()
    return out


def clip_layer_norm(x, scale, bias):
    # flax LayerNorm default: "fast" variance E[x^2] - E[x]^2, clipped at 0.
    mean = x.mean(-1, keepdim=True)
    var = ((x * x).mean(-1, keepdim=True) - mean * mean).clamp_min(0.0)
    return (x - mean) * torch.rsqrt(var + CLIP_LN_EPS) * scale + bias


def ml_layer_norm(x, scale, bias):
    # magiclens/layers.py LayerNorm: two-pass variance, y*(1+scale)+bias.
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) * torch.rsqrt(var + ML_LN_EPS) * (1.0 + scale) + bias


class MagicLens(nn.Module):
    def __init__(self, config: Config, params: Dict[str, torch.Tensor] = None, seed: int = 0):
        super().__init__()
        self.config = config
        if params is None:
            g = torch.Generator().manual_seed(seed)
            params = init_params(config, g)
        want = param_shapes(config)
        missing = set(want) - set(params)
        extra = set(params) - set(want)
        if missing or extra:
            raise ValueError(f'parameter tree mismatch: missing {sorted(missing)[:5]}, unexpected {sorted(extra)[:5]}')
        self.p = nn.ParameterDict({
            _key(k): nn.Parameter(torch.as_tensor(v, dtype=torch.float32).reshape(want[k]).clone())
            for k, v in sorted(params.items())})

    def w(self, path):
        return self.p[_key(path)]

    def flat_params(self) -> Dict[str, torch.Tensor]:
        return {k.replace('__', '/'): v.detach() for k, v in self.p.items()}

    def named_official(self):
        return [(k.replace('__', '/'), v) for k, v in self.p.items()]

    # ---- CLIP -----------------------------------------------------------------------------------
    def _clip_attention(self, prefix, x, mask):
        q = torch.einsum('btd,dnh->btnh', x, self.w(f'{prefix}/query/kernel')) + self.w(f'{prefix}/query/bias')
        k = torch.einsum('btd,dnh->btnh', x, self.w(f'{prefix}/key/kernel')) + self.w(f'{prefix}/key/bias')
        v = torch.einsum('btd,dnh->btnh', x, self.w(f'{prefix}/value/kernel')) + self.w(f'{prefix}/value/bias')
        q = q / math.sqrt(q.shape[-1])
        logits = torch.einsum('bqnh,bknh->bnqk', q, k)
        if mask is not None:
            logits = logits.masked_fill(~mask, F32_MIN)
        probs = logits.softmax(-1)
        o = torch.einsum('bnqk,bknh->bqnh', probs, v)
        return torch.einsum('bqnh,nhd->bqd', o, self.w(f'{prefix}/out/kernel')) + self.w(f'{prefix}/out/bias')

    def _clip_block(self, prefix, x, mask):
        h = clip_layer_norm(x, self.w(f'{prefix}/ln_1/scale'), self.w(f'{prefix}/ln_1/bias'))
        x = x + self._clip_attention(f'{prefix}/attn', h, mask)
        h = clip_layer_norm(x, self.w(f'{prefix}/ln_2/scale'), self.w(f'{prefix}/ln_2/bias'))
        h = h @ self.w(f'{prefix}/mlp/c_fc/kernel') + self.w(f'{prefix}/mlp/c_fc/bias')
        h = h * torch.sigmoid(1.702 * h)  # QuickGELU
        h = h @ self.w(f'{prefix}/mlp/c_proj/kernel') + self.w(f'{prefix}/mlp/c_proj/bias')
        return x + h

    def encode_image(self, pixels):
        """pixels: [B,S,S,3] normalised NHWC -> unnormalised CLIP image embedding [B,D]."""
        c = self.config
        b, s, _, _ = pixels.shape
        p = c.patch_size
        g = s // p
        patches = pixels.reshape(b, g, p, g, p, 3).permute(0, 1, 3, 2, 4, 5).reshape(b, g * g, p * p * 3)
        x = patches @ self.w('clip/visual/conv1/kernel').reshape(p * p * 3, -1)
        cls = self.w('clip/visual/class_embedding').expand(b, 1, -1)
        x = torch.cat([cls, x], 1) + self.w('clip/visual/positional_embedding')
        x = clip_layer_norm(x, self.w('clip/visual/ln_pre/scale'), self.w('clip/visual/ln_pre/bias'))
        for i in range(c.vision_layers):
            x = self._clip_block(f'clip/visual/transformer/resblocks_{i}', x, None)
        x = clip_layer_norm(x[:, 0], self.w('clip/visual/ln_post/scale'), self.w('clip/visual/ln_post/bias'))
        return x @ self.w('clip/visual/proj/kernel')

    def encode_text(self, ids):
        """ids: [B,L] int64 (L <= context length, pad 0) -> unnormalised CLIP text embedding [B,D].
        The causal mask makes a shorter L give the same result as padding to 77."""
        c = self.config
        b, L = ids.shape
        x = self.w('clip/text/token_embedding/embedding')[ids] + self.w('clip/text/positional_embedding')[:L]
        valid = ids > 0
        causal = torch.ones(L, L, dtype=torch.bool).tril()
        mask = (valid[:, None, :, None] & valid[:, None, None, :]) & causal
        for i in range(c.text_layers):
            x = self._clip_block(f'clip/text/transformer/resblocks_{i}', x, mask)
        x = clip_layer_norm(x, self.w('clip/text/ln_final/scale'), self.w('clip/text/ln_final/bias'))
        eot = ids.argmax(-1)  # first maximum = EOT (the largest id)
        x = x[torch.arange(b), eot]
        return x @ self.w('clip/text/text_projection/kernel')

    # ---- fusion head ----------------------------------------------------------------------------
    def _ml_attention(self, prefix, q_in, kv_in, per_dim_scale=None):
        q = torch.einsum('btd,dnh->btnh', q_in, self.w(f'{prefix}/query/w')) + self.w(f'{prefix}/query/b')
        k = torch.einsum('btd,dnh->btnh', kv_in, self.w(f'{prefix}/key/w')) + self.w(f'{prefix}/key/b')
        v = torch.einsum('btd,dnh->btnh', kv_in, self.w(f'{prefix}/value/w')) + self.w(f'{prefix}/value/b')
        dh = q.shape[-1]
        if per_dim_scale is None:
            q = q * dh ** -0.5
        else:
            q = q * (1.442695041 / math.sqrt(dh)) * F.softplus(per_dim_scale)
        logits = torch.einsum('bqnh,bknh->bnqk', q, k)
        logits = LOGIT_CAP * torch.tanh(logits / LOGIT_CAP)
        probs = logits.softmax(-1)
        o = torch.einsum('bnqk,bknh->bqnh', probs, v)
        return torch.einsum('bqnh,dnh->bqd', o, self.w(f'{prefix}/post/w')) + self.w(f'{prefix}/post/b'), probs

    def fuse(self, image_embed, text_embed):
        """Fusion head: [B,D] x [B,D] -> unnormalised multimodal embedding [B,D]."""
        c = self.config
        x = torch.stack([image_embed, text_embed], 1)
        for i in range(c.fusion_layers):
            p = f'multimodal_encoder/x_layers_{i}'
            h = ml_layer_norm(x, self.w(f'{p}/layer_norm/scale'), self.w(f'{p}/layer_norm/bias'))
            x = x + self._ml_attention(f'{p}/self_attention', h, h)[0]
            h = ml_layer_norm(x, self.w(f'{p}/ff_layer/layer_norm/scale'), self.w(f'{p}/ff_layer/layer_norm/bias'))
            h = torch.relu(h @ self.w(f'{p}/ff_layer/ffn_layer1/linear/w') + self.w(f'{p}/ff_layer/ffn_layer1/bias/b'))
            h = h @ self.w(f'{p}/ff_layer/ffn_layer2/linear/w') + self.w(f'{p}/ff_layer/ffn_layer2/bias/b')
            x = x + h
        p = 'contrastive_multimodal_pooler'
        q = self.w(f'{p}/pooling_attn_query').expand(x.shape[0], 1, -1)
        o, _ = self._ml_attention(f'{p}/pool_attn', q, x, self.w(f'{p}/pool_attn/per_dim_scale/per_dim_scale'))
        o = ml_layer_norm(o, self.w(f'{p}/pool_attn_ln/scale'), self.w(f'{p}/pool_attn_ln/bias'))
        return o[:, 0]

    def forward(self, pixels, ids):
        """Returns (multimodal_embed, multimodal_embed_norm) as the official model.apply does."""
        e = self.fuse(self.encode_image(pixels), self.encode_text(ids))
        return e, normalize(e)


def normalize(x):
    return x / torch.sqrt((x * x).sum(-1, keepdim=True) + 1e-12)
