// The Electron IPC adapter's checks (sender origin, envelope, method, params) and the host
// message schemas, run without Electron: they are plain functions over the real contract.
import { describe, expect, it } from 'vitest';
import type { RequestEnvelope } from '../../../app/api/contract.js';
import { handleIpcCall, type IpcDeps } from '../../../main/ipc-adapter.js';
import { FromHost, ToHost } from '../../../main/host-protocol.js';
import { appAssetPath, ELECTRON_CSP, isAppUrl, secureWebPreferences } from '../../../main/security.js';

function deps() {
  const forwarded: RequestEnvelope[] = [];
  const shellCalls: unknown[] = [];
  const d: IpcDeps = {
    forward: async (env) => {
      forwarded.push(env);
      return { id: env.id, ok: true, result: 'from service' };
    },
    shell: {
      'shell.pickFolder': async () => ({ path: null }),
      'shell.pickImage': async () => ({ path: null }),
      'shell.pickFile': async (p) => (shellCalls.push(p), { path: null }),
      'shell.photoMenu': async (p) => (shellCalls.push(p), { action: 'similar' }),
      'shell.showInFolder': async () => ({ shown: false }),
      'shell.revealPhotos': async () => ({ folders: 0, shown: 0 }),
      'shell.openPhotos': async () => ({ opened: 0, failed: 0 }),
    },
  };
  return { d, forwarded, shellCalls };
}
const APP = 'magiclens-app://app/index.html';

describe('IPC adapter', () => {
  it('accepts calls only from the app page', async () => {
    const { d, forwarded } = deps();
    for (const url of [undefined, 'https://evil.example/', 'file:///tmp/x.html', 'magiclens-app://other/index.html', 'devtools://devtools']) {
      expect(await handleIpcCall(url, { id: 1, method: 'status.get' }, d)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    }
    expect(forwarded).toHaveLength(0);
    expect(await handleIpcCall(APP, { id: 1, method: 'status.get' }, d)).toEqual({ id: 1, ok: true, result: 'from service' });
  });

  it('refuses malformed envelopes, unknown methods and params failing the schema before they reach the service', async () => {
    const { d, forwarded } = deps();
    expect(await handleIpcCall(APP, 'status.get', d)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await handleIpcCall(APP, { id: 1, method: 'status.get', extra: 1 }, d)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await handleIpcCall(APP, { id: 2, method: 'fs.readFile', params: { path: '/etc/passwd' } }, d)).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    expect(await handleIpcCall(APP, { id: 3, method: 'folders.add', params: { path: 42 } }, d)).toMatchObject({ id: 3, ok: false, error: { code: 'invalid_request' } });
    expect(await handleIpcCall(APP, { id: 4, method: 'photos.get', params: { id: '1; DROP TABLE photos' } }, d)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await handleIpcCall(APP, { id: 5, method: 'shell.photoMenu', params: { photoId: -1 } }, d)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(await handleIpcCall(APP, { id: 6, method: 'shell.openExternal', params: { url: 'https://x' } }, d)).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    expect(forwarded).toHaveLength(0);
  });

  it('routes shell requests to main with validated params, API requests to the service', async () => {
    const { d, forwarded, shellCalls } = deps();
    expect(await handleIpcCall(APP, { id: 7, method: 'shell.photoMenu', params: { photoId: 9 } }, d)).toEqual({ id: 7, ok: true, result: { action: 'similar' } });
    expect(await handleIpcCall(APP, { id: 8, method: 'shell.pickFile' }, d)).toMatchObject({ ok: true });
    expect(shellCalls).toEqual([{ photoId: 9 }, { title: 'Choose a file' }]);
    await handleIpcCall(APP, { id: 9, method: 'search.text', params: { text: 'red car' } }, d);
    expect(forwarded).toEqual([{ id: 9, method: 'search.text', params: { text: 'red car' } }]);
  });
});

describe('service host messages', () => {
  it('are schema-checked in both directions', () => {
    expect(ToHost.safeParse({ type: 'call', callId: 1, envelope: { id: 1, method: 'status.get' } }).success).toBe(true);
    expect(ToHost.safeParse({ type: 'image', callId: 1, photoId: 0, kind: 'full' }).success).toBe(false);
    expect(ToHost.safeParse({ type: 'eval', code: 'process.exit()' }).success).toBe(false);
    expect(FromHost.safeParse({ type: 'response', callId: 1, envelope: { id: 1, ok: true, result: 1 } }).success).toBe(true);
    expect(FromHost.safeParse({ type: 'response', callId: 1, envelope: { id: 1, ok: 'yes' } }).success).toBe(false);
    expect(FromHost.safeParse({ type: 'image', callId: 1, ok: true, path: '/x', contentType: 'image/jpeg', extra: 1 }).success).toBe(false);
  });
});

describe('window security policy', () => {
  it('isolates the renderer and allows only app pages', () => {
    expect(secureWebPreferences('/p.cjs')).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(isAppUrl('magiclens-app://app/index.html')).toBe(true);
    for (const u of ['https://example.com', 'http://127.0.0.1:3000/', 'file:///etc/passwd', 'magiclens-media://full/1', 'javascript:alert(1)', 'not a url']) expect(isAppUrl(u), u).toBe(false);
    expect(appAssetPath('magiclens-app://app/assets/index.js')).toBe('assets/index.js');
    expect(appAssetPath('magiclens-app://app/')).toBe('index.html');
    expect(appAssetPath('magiclens-app://app/assets/%2e%2e/%2e%2e/package.json')).toBeNull();
    expect(appAssetPath('magiclens-app://app/assets/..%2f..%2fpackage.json')).toBeNull();
    expect(ELECTRON_CSP).toContain("script-src 'self'");
    expect(ELECTRON_CSP).not.toMatch(/unsafe-(inline|eval)|https?:/);
  });
});
