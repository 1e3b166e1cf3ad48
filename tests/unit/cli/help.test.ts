// `magiclens --help`, `magiclens CMD --help` and argument mistakes: answered from the command table
// without opening a library (in-process, over a data dir that must stay untouched).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../app/cli.js';
import { COMMANDS } from '../../../app/cli/commands.js';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-cli-help-'));
const dataDir = path.join(home, 'data');
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d) => (o += String(d)));
  err.on('data', (d) => (e += String(d)));
  const code = await main(argv, { out, err, env: { ...process.env, MAGICLENS_HOME: dataDir } });
  return { code, out: o, err: e };
}

describe('magiclens help', () => {
  it('lists every subcommand; no command at all is a usage error', async () => {
    const help = await run('--help');
    expect(help.code).toBe(0);
    for (const c of COMMANDS) expect(help.out).toMatch(new RegExp(`^  ${c.name} `, 'm'));
    const none = await run();
    expect(none.code).toBe(2);
    expect(none.out).toBe(help.out);
  });

  it.each(COMMANDS.map((c) => c.name))('%s --help and -h print its usage and exit 0', async (name) => {
    for (const flag of ['--help', '-h']) {
      const r = await run(name, flag);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toBe('');
      expect(r.out).toMatch(name === 'model' ? /^usage: magiclens model <command>/ : new RegExp(`^usage: magiclens \\[--json\\] ${name}\\b[^]*\\n  ${name} `));
    }
  });

  it('help after other arguments, and `help CMD`', async () => {
    const late = await run('--json', 'serve', '--port', '0', '--help');
    expect(late.code).toBe(0);
    expect(late.out).toMatch(/serve \[--port N\]/);
    expect((await run('album', 'create', 'x', '-h')).out).toMatch(/album create NAME/);
    expect((await run('model', 'install', '--help')).out).toMatch(/^usage: magiclens model/);
    const topic = await run('help', 'search');
    expect(topic.code).toBe(0);
    expect(topic.out).toMatch(/search --text S/);
  });

  it('unknown commands and options are usage errors (exit 2), not crashes', async () => {
    const cmd = await run('frobnicate');
    expect(cmd.code).toBe(2);
    expect(cmd.err).toMatch(/^unknown command: frobnicate\n\nmagiclens — /);
    const opt = await run('status', '--frobnicate');
    expect(opt.code).toBe(2);
    expect(opt.err).toMatch(/Unknown option '--frobnicate'/);
    expect(opt.err).toMatch(/usage: magiclens \[--json\] <command>/);
  });

  it('opened no library for any of that', () => {
    expect(fs.existsSync(dataDir)).toBe(false);
  });
});
