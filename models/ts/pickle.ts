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

/** Extract the single `bytes` payload of a pickle (protocols 2–5). */
export function unpickleBytes(buf: Uint8Array): Uint8Array {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  const stack: Value[] = [];
  const memo: Value[] = [];
  const need = (n: number, what: string) => {
    if (pos + n > buf.length) {
      throw new CheckpointError(`checkpoint is truncated: ${what} needs ${n} bytes at offset ${pos}, file has ${buf.length}`);
    }
  };
  const u8 = () => { need(1, 'opcode argument'); return buf[pos++]!; };
  const u32 = () => { need(4, 'length'); const v = view.getUint32(pos, true); pos += 4; return v; };
  const u64 = () => {
    need(8, 'length');
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CheckpointError(`pickle length ${v} is too large`);
    return Number(v);
  };
  const bytes = (n: number, what: string) => { need(n, what); const b = buf.subarray(pos, pos + n); pos += n; return b; };
  const line = () => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) throw new CheckpointError('checkpoint is truncated inside a GLOBAL name');
    const s = Buffer.from(buf.subarray(pos, end)).toString('latin1');
    pos = end + 1;
    return s;
  };
  const pop = (): Value => {
    const v = stack.pop();
    if (v === undefined) throw new CheckpointError('malformed pickle: stack underflow');
    return v;
  };
  const utf8 = (b: Uint8Array) => Buffer.from(b).toString('utf8');

  if (buf.length < 2 || buf[0] !== OP.PROTO) {
    throw new CheckpointError('not a pickle file with a protocol header (expected byte 0x80; protocols 0 and 1 are not supported)');
  }
  for (;;) {
    need(1, 'opcode');
    const op = buf[pos++]!;
    switch (op) {
      case OP.PROTO: {
        const proto = u8();
        if (proto < 2 || proto > 5) throw new CheckpointError(`unsupported pickle protocol ${proto} (supported: 2–5)`);
        break;
      }
      case OP.FRAME: u64(); break; // frames only group opcodes; the stream reads straight through
      case OP.STOP: {
        const v = pop();
        if (v instanceof Uint8Array) return v;
        throw new CheckpointError('pickle does not hold a bytes object (is this a flax checkpoint written with pickle.dump(to_bytes(...))?)');
      }
      case OP.MEMOIZE: memo.push(stack[stack.length - 1] ?? MARK); break;
      case OP.BINPUT: memo[u8()] = stack[stack.length - 1] ?? MARK; break;
      case OP.LONG_BINPUT: memo[u32()] = stack[stack.length - 1] ?? MARK; break;
      case OP.BINGET: { const v = memo[u8()]; if (v === undefined) throw new CheckpointError('malformed pickle: bad memo'); stack.push(v); break; }
      case OP.LONG_BINGET: { const v = memo[u32()]; if (v === undefined) throw new CheckpointError('malformed pickle: bad memo'); stack.push(v); break; }
      case OP.SHORT_BINBYTES: stack.push(bytes(u8(), 'SHORT_BINBYTES payload')); break;
      case OP.BINBYTES: stack.push(bytes(u32(), 'BINBYTES payload')); break;
      case OP.BINBYTES8: case OP.BYTEARRAY8: stack.push(bytes(u64(), 'BINBYTES8 payload')); break;
      case OP.SHORT_BINUNICODE: stack.push(utf8(bytes(u8(), 'string'))); break;
      case OP.BINUNICODE: stack.push(utf8(bytes(u32(), 'string'))); break;
      case OP.BINUNICODE8: stack.push(utf8(bytes(u64(), 'string'))); break;
      case OP.GLOBAL: { const mod = line(); const name = line(); stack.push({ global: `${mod}.${name}` }); break; }
      case OP.STACK_GLOBAL: { const name = pop(); const mod = pop(); stack.push({ global: `${String(mod)}.${String(name)}` }); break; }
      case OP.EMPTY_TUPLE: stack.push([]); break;
      case OP.TUPLE1: stack.push([pop()]); break;
      case OP.TUPLE2: { const b = pop(); const a = pop(); stack.push([a, b]); break; }
      case OP.TUPLE3: { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c]); break; }
      case OP.MARK: stack.push(MARK); break;
      case OP.TUPLE: {
        const items: Value[] = [];
        for (;;) { const v = pop(); if (v === MARK) break; items.unshift(v); }
        stack.push(items);
        break;
      }
      case OP.REDUCE: {
        // Protocol 2 has no bytes opcode: bytes are written as _codecs.encode(latin1-decoded str, 'latin1').
        const args = pop();
        const fn = pop();
        if (typeof fn === 'object' && fn !== null && !(fn instanceof Uint8Array) && !Array.isArray(fn) && fn.global === '_codecs.encode'
          && Array.isArray(args) && typeof args[0] === 'string' && args[1] === 'latin1') {
          stack.push(new Uint8Array(Buffer.from(args[0], 'latin1')));
          break;
        }
        throw new CheckpointError('pickle calls a function other than _codecs.encode; refusing to load it (not a flax checkpoint)');
      }
      default:
        throw new CheckpointError(`unsupported pickle opcode ${opName(op)} at offset ${pos - 1} (a flax checkpoint holds a single bytes object)`);
    }
  }
}
