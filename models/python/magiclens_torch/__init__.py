"""PyTorch mirror of MagicLens (google-deepmind/magiclens), its training recipe and a synthetic world.

Parameters are kept under their official flax paths (e.g. ``clip/visual/conv1/kernel``) so that the
official checkpoint format round-trips without a name map.
"""
