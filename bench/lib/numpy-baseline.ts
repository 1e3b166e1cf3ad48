// The numpy/BLAS brute force the KNN is judged against (rclip's approach: `X @ q` + argpartition),
// run in a persistent /usr/bin/python3 child so each of our queries can be interleaved with one of
// numpy's: on a loaded machine both then see the same load, and the ratio means something.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const SCRIPT = `
import sys, time, numpy as np
X = np.fromfile(sys.argv[1], dtype=np.float32).reshape(-1, int(sys.argv[2]))
Q = np.fromfile(sys.argv[3], dtype=np.float32).reshape(-1, int(sys.argv[2]))
k = int(sys.argv[4])
print("ready", flush=True)
for line in sys.stdin:
    q = Q[int(line)]
    t = time.perf_counter()
    s = X @ q
    top = np.argpartition(-s, k)[:k]
    top = top[np.argsort(-s[top], kind="stable")]
    ms = (time.perf_counter() - t) * 1000
    print(ms, " ".join(map(str, top.tolist())), flush=True)
`;

export class NumpyBaseline {
  private constructor(private readonly p: ChildProcessWithoutNullStreams, private readonly lines: AsyncIterator<string>, private readonly dir: string) {}

  /** `data`: n × dim unit rows (row i = stored vector i); `queries`: the query vectors. */
  static async start(data: Float32Array, dim: number, queries: Float32Array[], k: number): Promise<NumpyBaseline> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-numpy-'));
    const xf = path.join(dir, 'x.f32');
    const qf = path.join(dir, 'q.f32');
    fs.writeFileSync(xf, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const qs = new Float32Array(queries.length * dim);
    queries.forEach((q, i) => qs.set(q, i * dim));
    fs.writeFileSync(qf, new Uint8Array(qs.buffer));
    const p = spawn('/usr/bin/python3', ['-c', SCRIPT, xf, String(dim), qf, String(k)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const lines = readline.createInterface({ input: p.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done || first.value !== 'ready') throw new Error(`numpy baseline did not start: ${err.slice(-500)}`);
    fs.rmSync(xf); // numpy holds its own copy now
    return new NumpyBaseline(p, lines, dir);
  }

  /** Runs query i in numpy: its own timing (no IPC) and its top-k row indices. */
  async query(i: number): Promise<{ ms: number; rows: number[] }> {
    this.p.stdin.write(`${i}\n`);
    const r = await this.lines.next();
    if (r.done) throw new Error('numpy baseline exited');
    const [ms, ...rows] = r.value.trim().split(' ');
    return { ms: Number(ms), rows: rows.map(Number) };
  }

  close(): void {
    this.p.stdin.end();
    this.p.kill();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
