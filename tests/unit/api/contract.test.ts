import { describe, expect, it } from 'vitest';
import { ApiError, dispatch, type Handlers, METHOD_NAMES, parseParams } from '../../../app/api/contract.js';

// A handler table where every method echoes its validated params, to observe validation alone.
const echo = Object.fromEntries(METHOD_NAMES.map((m) => [m, async (p: unknown) => p])) as unknown as Handlers;

describe('API contract', () => {
  it('fills defaults for a valid compose search', () => {
    const p = parseParams('search.compose', { photo: { id: 3 }, instruction: 'same car but blue' });
    expect(p).toMatchObject({ photo: { id: 3 }, instruction: 'same car but blue', includeQueryPhoto: false, offset: 0, limit: 60, filters: {} });
  });

  it('refuses malformed envelopes, unknown methods and bad params with typed errors', async () => {
    expect(await dispatch(echo, 'garbage')).toMatchObject({ ok: false, id: null, error: { code: 'invalid_request' } });
    expect(await dispatch(echo, { id: 1, method: 'fs.readFile', params: {} })).toMatchObject({ ok: false, id: 1, error: { code: 'unknown_method' } });
    expect(await dispatch(echo, { id: 2, method: 'constructor' })).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    const bad = await dispatch(echo, { id: 3, method: 'search.compose', params: { photo: { id: -1 }, instruction: 'x' } });
    expect(bad).toMatchObject({ ok: false, id: 3, error: { code: 'invalid_request' } });
    const extra = await dispatch(echo, { id: 4, method: 'folders.add', params: { path: '/x', evil: true } });
    expect(extra).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    const nul = await dispatch(echo, { id: 5, method: 'folders.add', params: { path: '/x\0y' } });
    expect(nul).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });

  it('passes validated params to the handler and wraps thrown errors', async () => {
    const ok = await dispatch(echo, { id: 'a', method: 'albums.create', params: { name: ' Blue cars ', query: { kind: 'text', text: 'blue car' } } });
    expect(ok).toMatchObject({ ok: true, id: 'a', result: { name: 'Blue cars', rule: { kind: 'topN', n: 50 } } });
    const failing = { ...echo, 'photos.get': async () => { throw new ApiError('not_found', 'no photo 7'); } } as Handlers;
    expect(await dispatch(failing, { id: 9, method: 'photos.get', params: { id: 7 } })).toEqual({ id: 9, ok: false, error: { code: 'not_found', message: 'no photo 7' } });
    const crashing = { ...echo, 'status.get': async () => { throw new TypeError('boom'); } } as Handlers;
    expect(await dispatch(crashing, { id: 10, method: 'status.get' })).toMatchObject({ ok: false, error: { code: 'internal', message: 'boom' } });
  });
});
