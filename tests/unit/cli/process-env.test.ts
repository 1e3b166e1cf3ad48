// The service's processes start with glibc's malloc tuned to give freed blocks ≥ 1 MiB back to the system
// (app/process-env.ts): the desktop app's service host and the CLI's long-running commands.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliNeedsRestart, MALLOC_TUNABLE, needsMemoryTunables, withMemoryTunables } from '../../../app/process-env.js';

describe('memory tunables for long-running processes', () => {
  it('adds the mmap threshold on Linux, keeps other tunables, and never doubles it', () => {
    expect(withMemoryTunables({ A: '1' }, 'linux')).toEqual({ A: '1', GLIBC_TUNABLES: MALLOC_TUNABLE });
    expect(withMemoryTunables({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, 'linux').GLIBC_TUNABLES).toBe(`glibc.malloc.arena_max=2:${MALLOC_TUNABLE}`);
    const once = withMemoryTunables({}, 'linux');
    expect(withMemoryTunables(once, 'linux')).toBe(once);
    // a user's own threshold wins
    expect(needsMemoryTunables({ GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=4096' }, 'linux')).toBe(false);
    for (const p of ['darwin', 'win32'] as const) expect(withMemoryTunables({ A: '1' }, p)).toEqual({ A: '1' });
  });

  it('the CLI restarts for commands that index or serve, not for one-shot searches', () => {
    for (const c of ['serve', 'index', 'folders', 'samples', 'model', 'doctor']) expect(cliNeedsRestart(['--json', c, 'x'], {}, 'linux'), c).toBe(true);
    for (const c of ['search', 'similar', 'status', 'errors', 'album']) expect(cliNeedsRestart([c], {}, 'linux'), c).toBe(false);
    expect(cliNeedsRestart(['index', 'x'], withMemoryTunables({}, 'linux'), 'linux')).toBe(false);
    expect(cliNeedsRestart(['index', 'x'], {}, 'darwin')).toBe(false);
    expect(cliNeedsRestart([], {}, 'linux')).toBe(false);
  });

  it.runIf(process.platform === 'linux')('the launcher runs `index` through its restart path, passing output and exit code through', { timeout: 60_000 }, () => {
    const bin = path.resolve('bin/magiclens.mjs');
    const env = { ...process.env, GLIBC_TUNABLES: '' };
    const help = spawnSync(process.execPath, [bin, 'index', '--help'], { encoding: 'utf8', env });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/usage: magiclens .*index/);
    const bad = spawnSync(process.execPath, [bin, 'index', '--no-such-flag'], { encoding: 'utf8', env });
    expect(bad.status).not.toBe(0);
  });
});
