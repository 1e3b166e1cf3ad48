// "Check for updates": when the packaged app may ask its feed, with the app-update.yml that
// electron-builder writes from electron-builder.yml's `publish`, and what the user is told.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { APP_ROOT } from '../../../app/paths.js';
import { feedUrl, updateMessage, updateSupport } from '../../../main/update-policy.js';

const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(s: string): unknown; dump(o: unknown): string };
// What electron-builder writes to resources/app-update.yml: the publish block plus updaterCacheDirName.
const publish = (yaml.load(fs.readFileSync(path.join(APP_ROOT, 'electron-builder.yml'), 'utf8')) as { publish: Record<string, string> }).publish;
const shipped = yaml.dump({ ...publish, updaterCacheDirName: 'magiclens-updater' });
const base = { packaged: true, platform: 'win32' as NodeJS.Platform, env: {} };

describe('update policy', () => {
  it('reads the feed URL from app-update.yml', () => {
    expect(feedUrl(shipped)).toBe(publish.url);
    expect(feedUrl("provider: generic\nurl: 'https://dl.example.org/ml'\n")).toBe('https://dl.example.org/ml');
  });

  it('says the shipped placeholder feed is not configured, instead of contacting it', () => {
    expect(updateSupport({ ...base, updateConfig: shipped })).toEqual({ ok: false, reason: 'This build has no update server configured.' });
  });

  it('allows a real https feed in installed builds only', () => {
    const real = 'provider: generic\nurl: https://dl.example.org/magiclens/${os}/${arch}\n';
    expect(updateSupport({ ...base, updateConfig: real })).toEqual({ ok: true, feed: 'https://dl.example.org/magiclens/${os}/${arch}' });
    expect(updateSupport({ ...base, updateConfig: 'provider: github\nowner: o\nrepo: r\n' })).toEqual({ ok: true, feed: 'github' });
    expect(updateSupport({ ...base, updateConfig: 'provider: generic\nurl: http://dl.example.org/x\n' })).toMatchObject({ ok: false, reason: expect.stringMatching(/https only/) });
    expect(updateSupport({ ...base, packaged: false, updateConfig: real })).toMatchObject({ ok: false, reason: expect.stringMatching(/installed builds/) });
    expect(updateSupport({ ...base, updateConfig: null })).toMatchObject({ ok: false });
    expect(updateSupport({ ...base, platform: 'linux', updateConfig: real })).toMatchObject({ ok: false, reason: expect.stringMatching(/package manager/) });
    expect(updateSupport({ ...base, platform: 'linux', env: { APPIMAGE: '/home/me/MagicLens.AppImage' }, updateConfig: real })).toMatchObject({ ok: true });
  });

  it('shows the version in what it tells the user', () => {
    expect(updateMessage('0.1.0', null)).toBe('MagicLens 0.1.0 is the latest version.');
    expect(updateMessage('0.1.0', { version: '0.1.0' })).toBe('MagicLens 0.1.0 is the latest version.');
    expect(updateMessage('0.1.0', { version: '0.2.0' })).toMatch(/^MagicLens 0\.2\.0 is available \(you have 0\.1\.0\)/);
  });
});
