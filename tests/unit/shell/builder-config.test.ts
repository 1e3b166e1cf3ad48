// Installer configuration (electron-builder.yml) read as electron-builder reads it: the fuses that
// stop the signed app from being used as a plain Node runtime, signing/notarisation, the update
// channel and the macOS entitlements. A drift in any of them fails here, not in a user's hands.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { APP_ROOT } from '../../../app/paths.js';

const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(s: string): unknown };
type Config = Record<string, unknown> & {
  electronFuses: Record<string, boolean>;
  mac: Record<string, unknown>;
  win: Record<string, unknown> & { signtoolOptions: { publisherName: string[] } };
  publish: { provider: string; url: string };
};
const config = yaml.load(fs.readFileSync(path.join(APP_ROOT, 'electron-builder.yml'), 'utf8')) as Config;

describe('electron-builder.yml', () => {
  it('sets every security fuse explicitly', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      grantFileProtocolExtraPrivileges: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
    });
  });

  it('names only fuses that @electron/fuses knows (a misspelt key would be silently ignored)', () => {
    const { FuseV1Options } = require('@electron/fuses') as { FuseV1Options: Record<string, unknown> };
    const known = Object.keys(FuseV1Options).filter((k) => Number.isNaN(Number(k))).map((k) => k[0]!.toLowerCase() + k.slice(1));
    for (const k of Object.keys(config.electronFuses)) expect(known, k).toContain(k);
  });

  it("passes electron-builder's own configuration schema", async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as { validateConfiguration(c: unknown, l: unknown): Promise<void> };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (on: boolean) => unknown };
    await expect(validateConfiguration(structuredClone(config), new DebugLogger(false))).resolves.toBeUndefined();
    const bad = structuredClone(config);
    (bad.electronFuses as Record<string, unknown>).runAsNod = false;
    await expect(validateConfiguration(bad, new DebugLogger(false))).rejects.toThrow(/electronFuses/);
  });

  it('signs and notarises with explicit entitlements, and verifies update signatures', () => {
    expect(config.mac).toMatchObject({ hardenedRuntime: true, notarize: true, entitlements: 'build/entitlements.mac.plist', entitlementsInherit: 'build/entitlements.mac.plist' });
    expect(config.mac.target).toContain('zip'); // Squirrel.Mac updates from the zip
    expect(config.win).toMatchObject({ verifyUpdateCodeSignature: true, signtoolOptions: { signingHashAlgorithms: ['sha256'] } });
    expect(config.win.signtoolOptions.publisherName.length).toBeGreaterThan(0);
    expect(config.publish.provider).toBe('generic');
    expect(new URL(config.publish.url.replace(/\$\{\w+\}/g, 'x')).protocol).toBe('https:');
  });

  it('grants macOS only the JIT entitlement', () => {
    const plist = fs.readFileSync(path.join(APP_ROOT, 'build', 'entitlements.mac.plist'), 'utf8');
    const keys = [...plist.matchAll(/<key>([^<]+)<\/key>/g)].map((m) => m[1]);
    expect(keys).toEqual(['com.apple.security.cs.allow-jit']);
    expect(plist).not.toMatch(/disable-library-validation|allow-unsigned-executable-memory|allow-dyld-environment-variables/);
  });
});
