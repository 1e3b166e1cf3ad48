// The preload, loaded the way Electron's sandbox loads it (a CommonJS function given a `require`
// that only knows 'electron'), with a recording test double for contextBridge/ipcRenderer
// (Electron itself cannot run here). Asserts the exposed surface is exactly the typed API.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');

function loadPreload() {
  const source = readFileSync(path.join(root, 'main', 'preload.cts'), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const exposed: Record<string, unknown> = {};
  const invoked: { channel: string; args: unknown[] }[] = [];
  const onHandlers: Record<string, (e: unknown, ...a: unknown[]) => void> = {};
  const requested: string[] = [];
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, value: unknown) => void (exposed[key] = value) },
    ipcRenderer: {
      invoke: async (channel: string, ...args: unknown[]) => {
        invoked.push({ channel, args });
        return { id: 1, ok: true, result: 'fine' };
      },
      on: (channel: string, fn: (e: unknown, ...a: unknown[]) => void) => void (onHandlers[channel] = fn),
    },
  };
  const sandboxRequire = (name: string) => {
    requested.push(name);
    if (name === 'electron') return electron;
    throw new Error(`module not found in sandbox: ${name}`);
  };
  const module = { exports: {} };
  vm.runInNewContext(`(function (exports, require, module) {${js}\n})`, { console })(module.exports, sandboxRequire, module);
  return { exposed, invoked, onHandlers, requested };
}

describe('preload', () => {
  it('exposes exactly window.magiclens with call, on and imageUrl — nothing else', () => {
    const { exposed, requested } = loadPreload();
    expect(Object.keys(exposed)).toEqual(['magiclens']);
    const api = exposed.magiclens as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual(['call', 'imageUrl', 'on']);
    expect(Object.isFrozen(api)).toBe(true);
    for (const k of Object.keys(api)) expect(typeof api[k]).toBe('function');
    // It needs nothing but Electron's renderer modules (a sandboxed preload can have nothing else).
    expect(requested).toEqual(['electron']);
    // No raw ipcRenderer, require, process or Node objects leak through.
    expect(JSON.stringify(Object.getOwnPropertyNames(api))).not.toMatch(/ipc|send|invoke|require|process/i);
  });

  it('forwards calls as envelopes on the one channel and refuses non-string methods', async () => {
    const { exposed, invoked } = loadPreload();
    const api = exposed.magiclens as { call(m: unknown, p?: unknown): Promise<unknown> };
    await expect(api.call('status.get')).resolves.toEqual({ id: 1, ok: true, result: 'fine' });
    expect(invoked).toEqual([{ channel: 'magiclens:call', args: [{ id: 1, method: 'status.get', params: {} }] }]);
    await expect(api.call({ toString: () => 'status.get' })).rejects.toThrow(/method must be a string/);
    expect(invoked).toHaveLength(1);
  });

  it('delivers events only to listeners of that event and lets them unsubscribe', () => {
    const { exposed, onHandlers } = loadPreload();
    const api = exposed.magiclens as { on(e: string, l: (d: unknown) => void): () => void };
    const got: unknown[] = [];
    const off = api.on('albums.changed', (d) => got.push(d));
    api.on('index.progress', () => got.push('wrong'));
    const deliver = onHandlers['magiclens:event']!;
    deliver({}, { event: 'albums.changed', data: { id: 1, count: 3 } });
    deliver({}, 'junk');
    deliver({}, { event: 42 });
    off();
    deliver({}, { event: 'albums.changed', data: { id: 1, count: 4 } });
    expect(got).toEqual([{ id: 1, count: 3 }]);
  });

  it('builds media URLs only from a kind and a positive integer id', () => {
    const { exposed } = loadPreload();
    const api = exposed.magiclens as { imageUrl(id: unknown, kind: unknown): string };
    expect(api.imageUrl(12, 'thumb')).toBe('magiclens-media://thumb/12');
    expect(api.imageUrl(3, 'full')).toBe('magiclens-media://full/3');
    for (const [id, kind] of [[0, 'thumb'], [-1, 'full'], [1.5, 'full'], ['../../etc/passwd', 'full'], [1, 'raw'], [1, '../full']]) {
      expect(() => api.imageUrl(id, kind), `${String(id)} ${String(kind)}`).toThrow(/imageUrl\(photoId/);
    }
  });
});
