"""Image preprocessing exactly as the official pipeline (data_utils.process_img + _preprocess_images).

jax.image.resize(..., 'bilinear', antialias=True) is re-implemented as separable weight matrices:
a triangle kernel widened by 1/scale when downsampling, half-pixel centres, per-output weights
renormalised (no edge clamp). Hand-written because no numpy/PIL resize matches jax's weights.
"""
import numpy as np

CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)

_cache = {}


def resize_weights(in_size: int, out_size: int) -> np.ndarray:
    """[out, in] weight matrix of jax's antialiased bilinear resize along one axis."""
    key = (in_size, out_size)
    if key not in _cache:
        scale = out_size / in_size
        inv = 1.0 / scale
        kscale = max(inv, 1.0)
        sample = (np.arange(out_size, dtype=np.float64) + 0.5) * inv - 0.5
        x = np.abs(sample[None, :] - np.arange(in_size, dtype=np.float64)[:, None]) / kscale
        w = np.maximum(0.0, 1.0 - x)
        tot = w.sum(0, keepdims=True)
        w = np.where(np.abs(tot) > 1000.0 * np.finfo(np.float32).eps, w / np.where(tot != 0, tot, 1), 0.0)
        w = np.where(((sample >= -0.5) & (sample <= in_size - 0.5))[None, :], w, 0.0)
        _cache[key] = w.T.astype(np.float64)
    return _cache[key]


def jax_resize(img: np.ndarray, h: int, w: int) -> np.ndarray:
    """Resize [H,W,C] float like jax.image.resize(method='bilinear', antialias=True)."""
    x = img.astype(np.float64)
    H, W, C = x.shape
    if H != h:
        x = (resize_weights(H, h) @ x.reshape(H, W * C)).reshape(h, W, C)
    if W != w:
        x = (resize_weights(W, w) @ x.transpose(1, 0, 2).reshape(W, -1)).reshape(w, x.shape[0], C).transpose(1, 0, 2)
    return np.ascontiguousarray(x, dtype=np.float32)


def process_img_224(rgb_uint8: np.ndarray) -> np.ndarray:
    """data_utils.process_img: divide by the image's own max, squash to 224x224."""
    x = rgb_uint8.astype(np.float32)
    x = x / (x.max() + 1e-12)
    return jax_resize(x, 224, 224)


def model_input(rgb_uint8: np.ndarray, size: int) -> np.ndarray:
    """Full pipeline to the model's normalised NHWC input [size,size,3] ('squash' mode)."""
    x = process_img_224(rgb_uint8)
    h, w = x.shape[:2]
    if h != w:  # largest_square_crop: a no-op after the squash, kept for fidelity
        m = min(h, w)
        x = x[(h - m) // 2:(h - m) // 2 + m, (w - m) // 2:(w - m) // 2 + m]
    x = jax_resize(x, size, size)
    return (x - CLIP_MEAN) / CLIP_STD


def load_rgb(path: str) -> np.ndarray:
    from PIL import Image
    with Image.open(path) as im:
        return np.asarray(im.convert('RGB'))
