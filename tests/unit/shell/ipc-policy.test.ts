// The IPC edge's trust rules, through the real adapter: paths reach the service only when main's
// own dialog returned them (per purpose, bounded, expiring), model downloads only from catalogue
// ids, https catalogue hosts or loopback, and UNC/device paths never — even after a "pick".
import { describe, expect, it } from 'vitest';
import type { RequestEnvelope } from '../../../app/api/contract.js';
import { handleIpcCall, type IpcDeps } from '../../../main/ipc-adapter.js';
import { installSourceProblem, PathGrants } from '../../../main/ipc-policy.js';

const APP = 'magiclens-app://app/index.html';

function deps(picked: { folder?: string; image?: string; file?: string }, grants: PathGrants | null = new PathGrants()) {
  const forwarded: RequestEnvelope[] = [];
  const d: IpcDeps = {
    forward: async (env) => (forwarded.push(env), { id: env.id, ok: true, result: null }),
    shell: {
      'shell.pickFolder': async () => ({ path: picked.folder ?? null }),
      'shell.pickImage': async () => ({ path: picked.image ?? null }),
      'shell.pickFile': async () => ({ path: picked.file ?? null }),
      'shell.photoMenu': async () => ({ action: null }),
      'shell.showInFolder': async () => ({ shown: false }),
      'shell.revealPhotos': async () => ({ folders: 0, shown: 0 }),
      'shell.openPhotos': async () => ({ opened: 0, failed: 0 }),
    },
    ...(grants ? { grants } : {}),
  };
  const call = (method: string, params: unknown) => handleIpcCall(APP, { id: 1, method, params }, d);
  return { d, forwarded, call };
}

describe('paths from the renderer', () => {
  it('folders.add needs a folder the dialog returned; the root "/" typed by the page is refused', async () => {
    const { call, forwarded } = deps({ folder: '/home/me/Pictures' });
    for (const p of ['/', '/home/me/Pictures', '/etc']) expect(await call('folders.add', { path: p }), p).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(forwarded).toEqual([]);
    expect(await call('shell.pickFolder', {})).toMatchObject({ ok: true, result: { path: '/home/me/Pictures' } });
    expect(await call('folders.add', { path: '/home/me/Pictures' })).toMatchObject({ ok: true });
    expect(await call('folders.add', { path: '/' })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(forwarded.map((e) => e.params)).toEqual([{ path: '/home/me/Pictures' }]);
  });

  it('grants are per purpose: a picked file is not a folder, a picked folder is not a model file', async () => {
    const { call, forwarded } = deps({ folder: '/pics', file: '/tmp/ck.pkl' });
    await call('shell.pickFolder', {});
    await call('shell.pickFile', {});
    expect(await call('folders.add', { path: '/tmp/ck.pkl' })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(await call('models.install', { checkpoint: '/pics', vocab: 'clip' })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(await call('models.install', { checkpoint: '/tmp/ck.pkl', vocab: 'clip' })).toMatchObject({ ok: true });
    expect(await call('search.similar', { photo: { id: 3 } })).toMatchObject({ ok: true }); // no path: no grant needed
    expect(forwarded).toHaveLength(2);
  });

  it('refuses a UNC path even when a dialog returned it, and fails closed without a grant store', async () => {
    const { call, forwarded } = deps({ folder: '\\\\host\\share\\photos' });
    await call('shell.pickFolder', {});
    expect(await call('folders.add', { path: '\\\\host\\share\\photos' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    const closed = deps({ folder: '/pics' }, null);
    await closed.call('shell.pickFolder', {});
    expect(await closed.call('folders.add', { path: '/pics' })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect([...forwarded, ...closed.forwarded]).toEqual([]);
  });

  it('grants expire and are bounded in number', () => {
    let t = 0;
    const g = new PathGrants(2, 1000, () => t);
    g.grant('folder', '/a');
    g.grant('folder', '/b');
    g.grant('folder', '/c');
    expect([g.has('folder', '/a'), g.has('folder', '/b'), g.has('folder', '/c')]).toEqual([false, true, true]);
    t = 1001;
    expect(g.has('folder', '/b')).toBe(false);
  });
});

describe('model downloads from the renderer', () => {
  it('accepts catalogue ids, https catalogue hosts, loopback and picked files only', async () => {
    const g = new PathGrants();
    for (const ok of ['base', 'large', 'clip', 'https://storage.googleapis.com/gresearch/magiclens/models/magic_lens_clip_base.pkl', 'https://github.com/openai/CLIP/raw/main/clip/bpe_simple_vocab_16e6.txt.gz', 'http://127.0.0.1:8123/ck.pkl', 'http://localhost:9/v.gz', 'http://[::1]:9/v.gz'])
      expect(installSourceProblem(ok, g), ok).toBeNull();
    for (const bad of ['https://evil.example/ck.pkl', 'http://storage.googleapis.com/x.pkl', 'https://storage.googleapis.com.evil.example/x', 'https://user:pw@github.com/x', 'https://github.com:8443/x', 'ftp://127.0.0.1/x', 'file:///etc/passwd', 'http://10.0.0.1/x', 'http://169.254.169.254/latest/meta-data', '/home/me/ck.pkl', '\\\\host\\share\\ck.pkl'])
      expect(installSourceProblem(bad, g), bad).not.toBeNull();
    g.grant('file', '/home/me/ck.pkl');
    expect(installSourceProblem('/home/me/ck.pkl', g)).toBeNull();
  });

  it('refuses models.install with a foreign URL at the adapter, before the service', async () => {
    const { call, forwarded } = deps({ file: '/home/me/ck.pkl' });
    expect(await call('models.install', { checkpoint: 'https://evil.example/ck.pkl', vocab: 'clip' })).toMatchObject({ ok: false, error: { code: 'unauthorized', message: expect.stringMatching(/^checkpoint: downloads come only from/) } });
    expect(await call('models.install', { checkpoint: '/home/me/ck.pkl', vocab: 'clip' })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    await call('shell.pickFile', { title: 'Choose the MagicLens checkpoint' });
    expect(await call('models.install', { checkpoint: '/home/me/ck.pkl', vocab: 'clip' })).toMatchObject({ ok: true });
    expect(forwarded).toHaveLength(1);
  });
});
