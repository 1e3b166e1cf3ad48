// An in-page Client over the real contract dispatcher and a handler table, for component tests
// (jsdom has no server to talk to). Events are pushed with emit().
import { ApiError, dispatch, METHOD_NAMES, type Handlers, type ResponseEnvelope } from '../../app/api/contract.js';
import type { Client } from '../src/lib/api.js';

export function memoryClient(overrides: Partial<Handlers>): Client & { emit(event: string, data: unknown): void; calls: string[] } {
  const base = Object.fromEntries(METHOD_NAMES.map((m) => [m, async () => { throw new ApiError('unavailable', m); }])) as unknown as Handlers;
  const handlers = { ...base, ...overrides } as Handlers;
  const listeners = new Map<string, Set<(d: unknown) => void>>();
  const calls: string[] = [];
  let seq = 0;
  return {
    transport: 'http',
    calls,
    async call(method, params) {
      calls.push(method);
      const env: ResponseEnvelope = await dispatch(handlers, { id: ++seq, method, params: params ?? {} });
      if (!env.ok) throw new ApiError(env.error.code, env.error.message);
      return env.result as never;
    },
    on(event, l) {
      let s = listeners.get(event);
      if (!s) listeners.set(event, (s = new Set()));
      s.add(l as (d: unknown) => void);
      return () => s.delete(l as (d: unknown) => void);
    },
    imageUrl: (id, kind) => `/media/${kind}/${id}`,
    shell: () => null,
    onConnection: (l) => (l(true), () => undefined),
    emit(event, data) {
      for (const l of listeners.get(event) ?? []) l(data);
    },
  };
}
