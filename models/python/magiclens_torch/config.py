"""Model configurations. base/large are the official ones; tiny is the golden-vector test model;
demo is the small model trained on the synthetic world and shipped with the app."""
from dataclasses import dataclass, asdict


@dataclass(frozen=True)
class Config:
    embed_dim: int          # CLIP projection width = fusion width
    image_size: int
    patch_size: int
    vision_width: int
    vision_layers: int
    vision_heads: int
    text_width: int
    text_layers: int
    text_heads: int
    vocab_size: int
    fusion_layers: int
    fusion_heads: int
    ffn_hidden: int
    pooler_heads: int
    context_length: int = 77

    def to_dict(self):
        return asdict(self)


CONFIGS = {
    # MagicLens('base'): CLIP ViT-B/16, fusion 4 layers x 8 heads.
    'base': Config(512, 224, 16, 768, 12, 12, 512, 12, 8, 49408, 4, 8, 2048, 8),
    # MagicLens('large'): CLIP ViT-L/14, fusion 4 layers x 16 heads.
    'large': Config(768, 224, 14, 1024, 24, 16, 768, 12, 12, 49408, 4, 16, 3072, 16),
    # The golden-vector model (reference/magiclens/tiny_config.json).
    'tiny': Config(32, 32, 8, 48, 2, 2, 16, 2, 2, 49408, 2, 2, 64, 2),
    # Shipped demo model; vocab_size is replaced by the size of the vocabulary it is trained with.
    'demo': Config(64, 64, 8, 64, 4, 4, 64, 3, 4, 1024, 2, 2, 256, 2),
}


def config_from_params(params) -> Config:
    """Infer the architecture from a flat {path: array} parameter tree (the same rule as the TS converter)."""
    def shape(p):
        return tuple(params[p].shape)

    def count(prefix):
        n = 0
        while any(k.startswith(f'{prefix}{n}/') for k in params):
            n += 1
        return n

    conv = shape('clip/visual/conv1/kernel')
    vpos = shape('clip/visual/positional_embedding')
    grid = int(round((vpos[0] - 1) ** 0.5))
    return Config(
        embed_dim=shape('clip/visual/proj/kernel')[1],
        image_size=grid * conv[0],
        patch_size=conv[0],
        vision_width=conv[3],
        vision_layers=count('clip/visual/transformer/resblocks_'),
        vision_heads=shape('clip/visual/transformer/resblocks_0/attn/query/kernel')[1],
        text_width=shape('clip/text/token_embedding/embedding')[1],
        text_layers=count('clip/text/transformer/resblocks_'),
        text_heads=shape('clip/text/transformer/resblocks_0/attn/query/kernel')[1],
        vocab_size=shape('clip/text/token_embedding/embedding')[0],
        fusion_layers=count('multimodal_encoder/x_layers_'),
        fusion_heads=shape('multimodal_encoder/x_layers_0/self_attention/query/w')[1],
        ffn_hidden=shape('multimodal_encoder/x_layers_0/ff_layer/ffn_layer1/linear/w')[1],
        pooler_heads=shape('contrastive_multimodal_pooler/pool_attn/query/w')[1],
        context_length=shape('clip/text/positional_embedding')[0],
    )
