// Minimal pickle reader for the one shape the official MagicLens checkpoint has: a pickled `bytes`
// object (`pickle.dump(flax.serialization.to_bytes(variables), f)`). Hand-written because no maintained
// npm pickle library returns large byte strings zero-copy; a general unpickler would also execute
// arbitrary GLOBALs, which we refuse (only `_codecs.encode`, used by protocol 2 for bytes, is allowed).
// Returns a subarray of the input: no copy, which matters for the 1.9 GB large checkpoint.

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

const OP = {
  PROTO: 0x80, FRAME: 0x95, STOP: 0x2e, MEMOIZE: 0x94, BINPUT: 0x71, LONG_BINPUT: 0x72,
  BINGET: 0x68, LONG_BINGET: 0x6a,
  SHORT_BINBYTES: 0x43, BINBYTES: 0x42, BINBYTES8: 0x8e, BYTEARRAY8: 0x96,
  SHORT_BINUNICODE: 0x8c, BINUNICODE: 0x58, BINUNICODE8: 0x8d,
  GLOBAL: 0x63, STACK_GLOBAL: 0x93, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87, EMPTY_TUPLE: 0x29,
  MARK: 0x28, TUPLE: 0x74, REDUCE: 0x52,
} as const;

type Value = Uint8Array | string | Value[] | { global: string } | typeof MARK;
const MARK = Symbol('mark');

function opName(op: number): string {
  return `0x${op.toString(16).padStart(2, '0')}`;
}

/** Reads a pickle stream front to back; every read checks the bytes are there. */
class Reader {
  pos = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) {
      throw new CheckpointError(`checkpoint is truncated: ${what} needs ${n} bytes at offset ${this.pos}, file has ${this.buf.length}`);
    }
  }

  opcode(): number {
    this.need(1, 'opcode');
    return this.buf[this.pos++]!;
  }

  u8(): number {
    this.need(1, 'opcode argument');
    return this.buf[this.pos++]!;
  }

  u32(): number {
    this.need(4, 'length');
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u64(): number {
    this.need(8, 'length');
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CheckpointError(`pickle length ${v} is too large`);
    return Number(v);
  }

  /** A view into the input, not a copy. */
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  utf8(n: number): string {
    return Buffer.from(this.bytes(n, 'string')).toString('utf8');
  }

  line(): string {
    const end = this.buf.indexOf(0x0a, this.pos);
    if (end < 0) throw new CheckpointError('checkpoint is truncated inside a GLOBAL name');
    const s = Buffer.from(this.buf.subarray(this.pos, end)).toString('latin1');
    this.pos = end + 1;
    return s;
  }
}

/** The unpickler's value stack and memo. */
class Machine {
  private readonly stack: Value[] = [];
  private readonly memo: Value[] = [];

  push(v: Value): void {
    this.stack.push(v);
  }

  pop(): Value {
    const v = this.stack.pop();
    if (v === undefined) throw new CheckpointError('malformed pickle: stack underflow');
    return v;
  }

  /** Pops `n` values, returned in the order they were pushed. */
  popN(n: number): Value[] {
    const items: Value[] = [];
    for (let i = 0; i < n; i++) items.unshift(this.pop());
    return items;
  }

  popToMark(): Value[] {
    const items: Value[] = [];
    for (;;) {
      const v = this.pop();
      if (v === MARK) return items;
      items.unshift(v);
    }
  }

  /** Memoizes the top of the stack, at `index` or (MEMOIZE) the next free slot. */
  put(index = this.memo.length): void {
    this.memo[index] = this.stack[this.stack.length - 1] ?? MARK;
  }

  get(index: number): void {
    const v = this.memo[index];
    if (v === undefined) throw new CheckpointError('malformed pickle: bad memo');
    this.stack.push(v);
  }
}

/** Extract the single `bytes` payload of a pickle (protocols 2–5). */
export function unpickleBytes(buf: Uint8Array): Uint8Array {
  if (buf.length < 2 || buf[0] !== OP.PROTO) {
    throw new CheckpointError('not a pickle file with a protocol header (expected byte 0x80; protocols 0 and 1 are not supported)');
  }
  const r = new Reader(buf);
  const m = new Machine();
  for (;;) {
    const op = r.opcode();
    if (op !== OP.STOP) {
      step(op, r, m);
      continue;
    }
    const v = m.pop();
    if (v instanceof Uint8Array) return v;
    throw new CheckpointError('pickle does not hold a bytes object (is this a flax checkpoint written with pickle.dump(to_bytes(...))?)');
  }
}

/** Runs one opcode other than STOP. */
function step(op: number, r: Reader, m: Machine): void {
  switch (op) {
    case OP.PROTO: {
      const proto = r.u8();
      if (proto < 2 || proto > 5) throw new CheckpointError(`unsupported pickle protocol ${proto} (supported: 2–5)`);
      break;
    }
    case OP.FRAME: r.u64(); break; // frames only group opcodes; the stream reads straight through
    case OP.MEMOIZE: m.put(); break;
    case OP.BINPUT: m.put(r.u8()); break;
    case OP.LONG_BINPUT: m.put(r.u32()); break;
    case OP.BINGET: m.get(r.u8()); break;
    case OP.LONG_BINGET: m.get(r.u32()); break;
    case OP.SHORT_BINBYTES: m.push(r.bytes(r.u8(), 'SHORT_BINBYTES payload')); break;
    case OP.BINBYTES: m.push(r.bytes(r.u32(), 'BINBYTES payload')); break;
    case OP.BINBYTES8: case OP.BYTEARRAY8: m.push(r.bytes(r.u64(), 'BINBYTES8 payload')); break;
    case OP.SHORT_BINUNICODE: m.push(r.utf8(r.u8())); break;
    case OP.BINUNICODE: m.push(r.utf8(r.u32())); break;
    case OP.BINUNICODE8: m.push(r.utf8(r.u64())); break;
    case OP.GLOBAL: { const mod = r.line(); const name = r.line(); m.push({ global: `${mod}.${name}` }); break; }
    case OP.STACK_GLOBAL: { const name = m.pop(); const mod = m.pop(); m.push({ global: `${String(mod)}.${String(name)}` }); break; }
    case OP.EMPTY_TUPLE: m.push([]); break;
    case OP.TUPLE1: m.push(m.popN(1)); break;
    case OP.TUPLE2: m.push(m.popN(2)); break;
    case OP.TUPLE3: m.push(m.popN(3)); break;
    case OP.MARK: m.push(MARK); break;
    case OP.TUPLE: m.push(m.popToMark()); break;
    case OP.REDUCE: { const args = m.pop(); const fn = m.pop(); m.push(reduce(fn, args)); break; }
    default:
      throw new CheckpointError(`unsupported pickle opcode ${opName(op)} at offset ${r.pos - 1} (a flax checkpoint holds a single bytes object)`);
  }
}

/** Protocol 2 has no bytes opcode: bytes are written as _codecs.encode(latin1-decoded str, 'latin1'). */
function reduce(fn: Value, args: Value): Uint8Array {
  if (typeof fn === 'object' && fn !== null && !(fn instanceof Uint8Array) && !Array.isArray(fn) && fn.global === '_codecs.encode'
    && Array.isArray(args) && typeof args[0] === 'string' && args[1] === 'latin1') {
    return new Uint8Array(Buffer.from(args[0], 'latin1'));
  }
  throw new CheckpointError('pickle calls a function other than _codecs.encode; refusing to load it (not a flax checkpoint)');
}
