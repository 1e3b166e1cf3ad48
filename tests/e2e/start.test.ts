// `npm start` (scripts/start.mjs) where Electron is absent: builds the UI if needed, starts
// `magiclens serve` on the default data dir (MAGICLENS_HOME here, so the test owns it), prints a
// tokened URL; the page and the API answer there, and Ctrl-C stops it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_ROOT, BUNDLED_PACKS_DIR } from '../../app/paths.js';

function electronBinary(): string | null {
  // Not require('electron'): since Electron 45 that downloads a missing binary instead of throwing.
  const dir = path.join(APP_ROOT, 'node_modules', 'electron');
  try {
    const bin = path.join(dir, 'dist', fs.readFileSync(path.join(dir, 'path.txt'), 'utf8').trim());
    return fs.existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}
const hasElectron = electronBinary() !== null;

describe.skipIf(hasElectron)('npm start without Electron', () => {
  it('serves the app over the local bridge and prints its URL', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-start-'));
    const child = spawn(process.execPath, [path.join(APP_ROOT, 'scripts', 'start.mjs'), '--no-open'], { cwd: APP_ROOT, env: { ...process.env, MAGICLENS_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no URL within 90 s:\n${out}`)), 90_000);
        const check = () => {
          const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}/.exec(out);
          if (m) {
            clearTimeout(t);
            resolve(m[0]);
          }
        };
        child.stdout.on('data', check);
        child.on('exit', (code) => reject(new Error(`start exited with ${code}:\n${out}`)));
      });
      const u = new URL(url);
      const token = u.searchParams.get('token')!;
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="app">');
      const res = await fetch(new URL('/api', u), { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify({ id: 1, method: 'status.get' }) });
      const env = (await res.json()) as { ok: boolean; result: { dataDir: string; model: { demo: boolean } | null } };
      expect(env.ok).toBe(true);
      expect(env.result.dataDir).toBe(home);
      // With the bundled demo pack committed, a fresh data dir searches with it straight away.
      if (fs.existsSync(path.join(BUNDLED_PACKS_DIR, 'demo', 'manifest.json'))) expect(env.result.model?.demo).toBe(true);
      expect((await fetch(new URL('/api', u), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status).toBe(401);
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
