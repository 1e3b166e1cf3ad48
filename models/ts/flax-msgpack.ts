// Flax's msgpack state format (flax.serialization.to_bytes): nested str-keyed maps whose leaves are
// msgpack ExtType 1 = msgpack([shape, dtype name, C-order little-endian bytes]). Decoded with
// @msgpack/msgpack, whose binary/ext payloads are subarrays of the input: tensors stay zero-copy.
import { decode, DecodeError, ExtensionCodec } from '@msgpack/msgpack';
import { CheckpointError } from './pickle.js';

export interface RawTensor {
  shape: number[];
  dtype: string;
  /** little-endian C-order bytes; usually a view into the checkpoint buffer (not 4-byte aligned). */
  bytes: Uint8Array;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, float16: 2, bfloat16: 2, float64: 8, int32: 4, int64: 8, uint8: 1, int8: 1 };

class FlaxNdarray {
  constructor(readonly t: RawTensor) {}
}

function makeCodec(): ExtensionCodec {
  const codec = new ExtensionCodec();
  codec.register({
    type: 1,
    encode: () => null,
    decode: (data: Uint8Array) => {
      let inner: unknown;
      try {
        inner = decode(data);
      } catch (e) {
        throw new CheckpointError(`corrupt ndarray leaf in checkpoint: ${(e as Error).message}`);
      }
      if (!Array.isArray(inner) || inner.length !== 3 || !Array.isArray(inner[0]) || typeof inner[1] !== 'string' || !(inner[2] instanceof Uint8Array)) {
        throw new CheckpointError('corrupt ndarray leaf in checkpoint: expected [shape, dtype, bytes]');
      }
      const shape = (inner[0] as unknown[]).map(Number);
      const dtype = inner[1] as string;
      const bytes = inner[2] as Uint8Array;
      const per = DTYPE_BYTES[dtype];
      const count = shape.reduce((a, b) => a * b, 1);
      if (per !== undefined && per * count !== bytes.length) {
        throw new CheckpointError(`corrupt ndarray leaf: shape [${shape.join(',')}] ${dtype} needs ${per * count} bytes, has ${bytes.length}`);
      }
      return new FlaxNdarray({ shape, dtype, bytes });
    },
  });
  return codec;
}

/** Decode a flax msgpack state into `path → tensor` (paths joined with '/', e.g. 'params/clip/logit_scale'). */
export function decodeFlaxState(bytes: Uint8Array): Map<string, RawTensor> {
  let root: unknown;
  try {
    root = decode(bytes, { extensionCodec: makeCodec(), maxBinLength: 2 ** 32, maxExtLength: 2 ** 32, maxStrLength: 2 ** 20 });
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    const why = e instanceof DecodeError || e instanceof RangeError ? e.message : String(e);
    throw new CheckpointError(`checkpoint payload is not valid flax msgpack: ${why}`);
  }
  const out = new Map<string, RawTensor>();
  const walk = (node: unknown, prefix: string) => {
    if (node instanceof FlaxNdarray) { out.set(prefix, node.t); return; }
    if (node !== null && typeof node === 'object' && !Array.isArray(node) && !(node instanceof Uint8Array)) {
      const obj = node as Record<string, unknown>;
      if ('__msgpack_chunked_array__' in obj) {
        throw new CheckpointError(`checkpoint leaf ${prefix} is a chunked (>1 GiB) array, which no MagicLens checkpoint has`);
      }
      for (const [k, v] of Object.entries(obj)) walk(v, prefix ? `${prefix}/${k}` : k);
      return;
    }
    throw new CheckpointError(`checkpoint leaf ${prefix || '(root)'} is not an ndarray (got ${node === null ? 'null' : typeof node})`);
  };
  walk(root, '');
  if (out.size === 0) throw new CheckpointError('checkpoint holds no tensors');
  return out;
}

/** A float32 view of a tensor; copies only when the bytes are not 4-byte aligned. */
export function asFloat32(t: RawTensor): Float32Array {
  if (t.dtype !== 'float32') throw new CheckpointError(`expected float32, got ${t.dtype}`);
  if (t.bytes.byteOffset % 4 === 0) return new Float32Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.length / 4);
  const copy = new Uint8Array(t.bytes.length);
  copy.set(t.bytes);
  return new Float32Array(copy.buffer);
}
