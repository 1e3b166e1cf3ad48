// Writes a checkpoint in the official format — pickle(bytes) wrapping flax msgpack — streaming each
// tensor to disk so even a large model is written without holding it in memory. Used by tests (random
// weights of the exact base shape, malformed variants) and by anyone exporting weights from TS.
import fs from 'node:fs';
import { encode } from '@msgpack/msgpack';

export interface LeafSpec {
  path: string; // 'params/clip/...'
  shape: number[];
  /** fills the tensor's float32 values (called once, at write time) */
  fill: (out: Float32Array) => void;
}

export interface PickleOptions {
  protocol?: 2 | 3 | 4 | 5;
  /** protocol 4+: put a FRAME opcode before the bytes header, as CPython's framer does */
  frame?: boolean;
  /** force BINBYTES8 even when the payload is under 4 GiB */
  binbytes8?: boolean;
}

type Tree = Map<string, Tree | LeafSpec>;

function buildTree(leaves: LeafSpec[]): Tree {
  const root: Tree = new Map();
  for (const leaf of leaves) {
    const parts = leaf.path.split('/');
    let node = root;
    for (const p of parts.slice(0, -1)) {
      let next = node.get(p);
      if (!next) { next = new Map(); node.set(p, next); }
      if (!(next instanceof Map)) throw new Error(`${leaf.path}: ${p} is both a leaf and a folder`);
      node = next;
    }
    node.set(parts[parts.length - 1]!, leaf);
  }
  return root;
}

function mapHeader(n: number): Buffer {
  if (n < 16) return Buffer.from([0x80 | n]);
  const b = Buffer.alloc(3); b[0] = 0xde; b.writeUInt16BE(n, 1); return b;
}

function extHeader(len: number): Buffer {
  const b = Buffer.alloc(6); b[0] = 0xc9; b.writeUInt32BE(len, 1); b[5] = 1; return b;
}

/** msgpack of [shape, 'float32', <bin32 header>] — the bytes follow. */
function leafHeader(shape: number[], dataLen: number): Buffer {
  const bin = Buffer.alloc(5); bin[0] = 0xc6; bin.writeUInt32BE(dataLen, 1);
  return Buffer.concat([Buffer.from([0x93]), Buffer.from(encode(shape)), Buffer.from(encode('float32')), bin]);
}

type Piece = Buffer | LeafSpec;

function pieces(tree: Tree, out: Piece[]): void {
  const keys = [...tree.keys()].sort();
  out.push(mapHeader(keys.length));
  for (const k of keys) {
    out.push(Buffer.from(encode(k)));
    const v = tree.get(k)!;
    if (v instanceof Map) pieces(v, out);
    else {
      const n = v.shape.reduce((a, b) => a * b, 1);
      const head = leafHeader(v.shape, n * 4);
      out.push(extHeader(head.length + n * 4), head, v);
    }
  }
}

export function writeFlaxCheckpoint(file: string, leaves: LeafSpec[], opts: PickleOptions = {}): number {
  const protocol = opts.protocol ?? 4;
  const list: Piece[] = [];
  pieces(buildTree(leaves), list);
  const payloadLen = list.reduce((s, p) => s + (Buffer.isBuffer(p) ? p.length : p.shape.reduce((a, b) => a * b, 1) * 4), 0);
  const fd = fs.openSync(file, 'w');
  let written = 0;
  const put = (b: Uint8Array) => { let o = 0; while (o < b.length) o += fs.writeSync(fd, b, o, b.length - o); written += b.length; };
  const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
  const u64 = (n: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; };
  try {
    if (protocol === 2) {
      // protocol 2 has no bytes opcode: _codecs.encode(<latin-1 str>, 'latin1'); the str is written as UTF-8
      const chunks: Buffer[] = [];
      for (const p of list) {
        if (Buffer.isBuffer(p)) chunks.push(p);
        else { const a = new Float32Array(p.shape.reduce((x, y) => x * y, 1)); p.fill(a); chunks.push(Buffer.from(a.buffer)); }
      }
      const utf8 = Buffer.from(Buffer.concat(chunks).toString('latin1'), 'utf8');
      put(Buffer.from([0x80, 2])); put(Buffer.from('c_codecs\nencode\nq\x00', 'latin1'));
      put(Buffer.from([0x58])); put(u32(utf8.length)); put(utf8);
      put(Buffer.from('q\x01X\x06\x00\x00\x00latin1q\x02\x86q\x03Rq\x04.', 'latin1'));
      return written;
    }
    put(Buffer.from([0x80, protocol]));
    let header: Buffer;
    if (payloadLen < 256 && !opts.binbytes8) header = Buffer.from([0x43, payloadLen]);
    else if (payloadLen < 2 ** 32 && !opts.binbytes8) header = Buffer.concat([Buffer.from([0x42]), u32(payloadLen)]);
    else header = Buffer.concat([Buffer.from([0x8e]), u64(payloadLen)]);
    // CPython's framer: the opcode header in one frame, the large payload outside frames, the rest in a last frame
    const framed = opts.frame === true && protocol >= 4;
    if (framed) { put(Buffer.from([0x95])); put(u64(header.length)); }
    put(header);
    for (const p of list) {
      if (Buffer.isBuffer(p)) { put(p); continue; }
      const a = new Float32Array(p.shape.reduce((x, y) => x * y, 1));
      p.fill(a);
      put(new Uint8Array(a.buffer));
    }
    if (framed) { put(Buffer.from([0x95])); put(u64(2)); }
    if (protocol >= 4) put(Buffer.from([0x94]));
    put(Buffer.from([0x2e]));
  } finally {
    fs.closeSync(fd);
  }
  return written;
}

/** Deterministic small pseudo-random weights (xorshift), scale chosen to keep activations finite. */
export function randomFill(seed: number, scale = 0.02): (out: Float32Array) => void {
  return (out) => {
    let s = (seed * 2654435761) >>> 0 || 1;
    for (let i = 0; i < out.length; i++) {
      s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
      out[i] = ((s / 4294967296) * 2 - 1) * scale;
    }
  };
}
