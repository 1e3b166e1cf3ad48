"""The official checkpoint format: pickle of flax.serialization.to_bytes({'params': tree}).

Flax msgpack encodes each array as ExtType(1, msgpack([shape, dtype, bytes])), C-order little-endian.
"""
import pickle
from typing import Dict

import msgpack
import numpy as np

_EXT_NDARRAY = 1


def _decode_ext(code, data):
    if code != _EXT_NDARRAY:
        raise ValueError(f'unsupported msgpack ext type {code} in checkpoint')
    shape, dtype, buf = msgpack.unpackb(data, raw=False)
    return np.frombuffer(buf, dtype=np.dtype(dtype).newbyteorder('<')).reshape(shape).astype(np.float32)


def _flatten(tree, prefix, out):
    for k in sorted(tree):
        v = tree[k]
        path = f'{prefix}/{k}' if prefix else k
        if isinstance(v, dict):
            _flatten(v, path, out)
        else:
            out[path] = v


def load_checkpoint(path: str) -> Dict[str, np.ndarray]:
    """Read an official checkpoint -> {flax path without 'params/': float32 array}."""
    with open(path, 'rb') as f:
        blob = pickle.load(f)
    if not isinstance(blob, (bytes, bytearray)):
        raise ValueError(f'{path}: expected a pickled bytes object (flax msgpack), got {type(blob).__name__}')
    tree = msgpack.unpackb(bytes(blob), ext_hook=_decode_ext, raw=False, strict_map_key=False)
    if not isinstance(tree, dict) or 'params' not in tree:
        raise ValueError(f'{path}: no "params" at the top of the checkpoint')
    out = {}
    _flatten(tree['params'], '', out)
    return out


def _encode_array(a: np.ndarray):
    a = np.asarray(a, dtype='<f4').copy(order='C')  # (ascontiguousarray would turn a 0-d array into 1-d)
    return msgpack.ExtType(_EXT_NDARRAY, msgpack.packb([list(a.shape), 'float32', a.tobytes()], use_bin_type=True))


def checkpoint_bytes(params: Dict[str, np.ndarray]) -> bytes:
    """Serialise like pickle.dump(flax.serialization.to_bytes(variables), f, protocol=4); deterministic
    (keys sorted, as flax's state dicts are)."""
    tree = {}
    for path in sorted(params):
        node = tree
        parts = path.split('/')
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = _encode_array(params[path])

    def sort(t):
        return {k: sort(v) if isinstance(v, dict) else v for k, v in sorted(t.items())}

    payload = msgpack.packb({'params': sort(tree)}, use_bin_type=True)
    return pickle.dumps(payload, protocol=4)


def save_checkpoint(params: Dict[str, np.ndarray], path: str) -> None:
    data = checkpoint_bytes({k: np.asarray(v.detach().cpu() if hasattr(v, 'detach') else v) for k, v in params.items()})
    with open(path, 'wb') as f:
        f.write(data)
