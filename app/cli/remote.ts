// Client mode: when `magiclens serve` (or the app's bridge) is running on this data folder, the CLI sends
// its calls over the local HTTP bridge (the same contract, the same dispatcher) instead of opening the
// library and the model itself: a one-shot search then costs a process start and one request instead
// of loading the model. With no bridge answering it returns null and the CLI starts cold.
import http from 'node:http';
import type { Method, Params, ResponseEnvelope, Result } from '../api/contract.js';
import { readBridgeFile, type BridgeInfo } from '../server/bridge-file.js';

export interface Api {
  /** 'remote' over a running bridge, 'local' in this process */
  readonly mode: 'remote' | 'local';
  call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>>;
}

/** A failure to reach the bridge (no answer, refused, bad token), as opposed to an error the API returned. */
export class BridgeUnreachable extends Error {}

function post(b: BridgeInfo, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: b.port, path: '/api', method: 'POST', agent: false, timeout: timeoutMs,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${b.token}`, 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => reject(new BridgeUnreachable(e.message)));
    });
    req.on('timeout', () => req.destroy(new BridgeUnreachable(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(e instanceof BridgeUnreachable ? e : new BridgeUnreachable(e.message)));
    req.end(body);
  });
}

async function send(b: BridgeInfo, method: string, params: unknown, timeoutMs: number): Promise<unknown> {
  const r = await post(b, JSON.stringify({ id: 1, method, params }), timeoutMs);
  if (r.status === 401) throw new BridgeUnreachable('the bridge refused the token');
  let env: ResponseEnvelope;
  try {
    env = JSON.parse(r.text) as ResponseEnvelope;
  } catch {
    throw new BridgeUnreachable(`the bridge answered HTTP ${r.status} without a JSON envelope`);
  }
  if (!env.ok) throw new Error(`${env.error.code}: ${env.error.message}`);
  return env.result;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The running bridge for `dataDir`, if one answers a status call within `probeMs`; null otherwise (no
 * file, its process gone, refused, wrong token, or silent), so the caller starts the engine itself.
 */
export async function connectRemote(dataDir: string, probeMs = 1000): Promise<Api | null> {
  const b = readBridgeFile(dataDir);
  if (!b || !alive(b.pid)) return null;
  try {
    await send(b, 'status.get', {}, probeMs);
  } catch {
    return null;
  }
  return {
    mode: 'remote',
    // A query may wait for the model to open in the service: a generous limit, not the probe's.
    call: async (method, params) => (await send(b, method, params, 120_000)) as never,
  };
}
