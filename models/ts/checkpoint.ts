// Official MagicLens checkpoint (pickle → flax msgpack → tensors), read with at most one copy in memory:
// the file itself. Every tensor is a view into that buffer.
import fs from 'node:fs';
import { decodeFlaxState, type RawTensor } from './flax-msgpack.js';
import { unpickleBytes, CheckpointError } from './pickle.js';
import { inferArchitecture, validateTree, type Architecture, type ShapeMap } from './architecture.js';

export { CheckpointError };

export interface Checkpoint {
  architecture: Architecture;
  tensors: Map<string, RawTensor>;
  fileBytes: number;
}

/** Reads a whole file into one Buffer in chunks (fs.readFile refuses files over 2 GiB). */
export function readWholeFile(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = fs.readSync(fd, buf, off, Math.min(size - off, 1 << 26), off);
      if (n <= 0) throw new CheckpointError(`checkpoint ${file} ended early at ${off} of ${size} bytes`);
      off += n;
    }
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

export function parseCheckpoint(bytes: Uint8Array): Checkpoint {
  const payload = unpickleBytes(bytes);
  const tensors = decodeFlaxState(payload);
  const shapes: ShapeMap = new Map([...tensors].map(([k, t]) => [k, t.shape]));
  const dtypes = new Map([...tensors].map(([k, t]) => [k, t.dtype]));
  const architecture = inferArchitecture(shapes);
  validateTree(shapes, dtypes, architecture);
  return { architecture, tensors, fileBytes: bytes.length };
}

export function readCheckpoint(file: string): Checkpoint {
  if (!fs.existsSync(file)) throw new CheckpointError(`checkpoint file not found: ${file}`);
  return parseCheckpoint(readWholeFile(file));
}
