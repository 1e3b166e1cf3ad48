// bench:perf coldstart: a base-size pack installed into a fresh data folder, a small indexed library,
// then fresh processes timed stage by stage: cold (no optimised-graph cache, no verified stamp: what
// the first start after install pays) and cached (every later start); the CLI one-shot wall times in
// a cold process and against a running `serve` (client mode).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { graphCacheDir } from '../app/model/graph-cache.js';
import { ModelRegistry } from '../app/model/registry.js';
import { bridgeFilePath } from '../app/server/bridge-file.js';
import { BENCH_DIR, nowMs, printTable } from './lib/report.js';

const ROOT = path.resolve(BENCH_DIR, '..');
type Child = (cmd: string, args: string[]) => Record<string, unknown>;

async function library(dir: string, n: number): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const f = path.join(dir, `p${String(i).padStart(3, '0')}.jpg`);
    if (!fs.existsSync(f)) await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 40 + i * 9, g: 90, b: 200 - i * 7 }, noise: { type: 'gaussian', mean: 120, sigma: 40 } } }).jpeg().toFile(f);
  }
}

function cliWall(env: NodeJS.ProcessEnv, args: string[], root = ROOT): number {
  const t = nowMs();
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'magiclens.mjs'), '--json', ...args], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`magiclens ${args.join(' ')} failed: ${r.stderr.trim().split('\n').pop()}`);
  return nowMs() - t;
}

async function withServe<T>(env: NodeJS.ProcessEnv, dataDir: string, fn: () => T): Promise<T> {
  const p = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'app', 'cli.ts'), 'serve'], { cwd: ROOT, env, stdio: 'ignore' });
  try {
    const end = Date.now() + 60_000;
    while (!fs.existsSync(bridgeFilePath(dataDir))) {
      if (Date.now() > end) throw new Error('serve did not write its bridge file');
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 3000)); // let it open its interactive lane, as a running app has
    return fn();
  } finally {
    p.kill('SIGINT');
    await new Promise((r) => p.once('exit', r));
  }
}

/** A commit of this repository as a folder (git archive), sharing this checkout's node_modules. */
function treeAt(rev: string, dir: string): string {
  const tar = spawnSync('git', ['archive', '--format=tar', rev], { cwd: ROOT, maxBuffer: 1 << 30 });
  if (tar.status !== 0) throw new Error(`git archive ${rev}: ${String(tar.stderr).trim()}`);
  fs.mkdirSync(dir, { recursive: true });
  const x = spawnSync('tar', ['-x', '-C', dir], { input: tar.stdout });
  if (x.status !== 0) throw new Error(`tar: ${String(x.stderr).trim()}`);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/**
 * 'Before' figures from the same run: the older commit's own service-child (index, then coldstart:
 * service ready, first and second composed query) and its CLI, on its own data folder with the same
 * pack and photos. Same machine load as the 'after' figures, so their ratio means something here.
 */
async function baselineRun(rev: string, work: string, packDir: string, lib: string, photo: string): Promise<Record<string, unknown>> {
  const tree = treeAt(rev, path.join(work, `tree-${rev}`));
  const old: Child = (cmd, args) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(tree, 'bench', 'service-child.ts'), cmd, ...args], { cwd: tree, encoding: 'utf8', timeout: 15 * 60_000, maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`baseline service-child ${cmd} failed (${r.status ?? r.signal}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
  };
  const dataDir = path.join(work, 'baseline-data');
  const noBundled = path.join(work, 'baseline-no-bundled');
  fs.mkdirSync(noBundled, { recursive: true });
  const reg = new ModelRegistry(dataDir, noBundled);
  const id = (await reg.install(packDir)).manifest.id;
  reg.setActive(id);
  old('index', ['--packs-dir', noBundled, '--pack-id', id, '--folder', lib, '--threads', '2', '--data', dataDir]);
  const args = ['--packs-dir', noBundled, '--pack-id', id, '--data', dataDir, '--photo-id', '1'];
  const first = old('coldstart', args);
  const second = old('coldstart', args);
  const env = { ...process.env, MAGICLENS_HOME: dataDir };
  const cli = {
    compose: cliWall(env, ['search', '--photo', photo, '--instruction', 'the same but at night'], tree),
    text: cliWall(env, ['search', '--text', 'a blue photo'], tree),
  };
  return { rev, first, second, cli };
}

export async function coldstartBench(packDir: string, child: Child, log: (s: string) => void, opts: { baselineRev?: string } = {}): Promise<Record<string, unknown>> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-bench-cold-'));
  try {
    const dataDir = path.join(work, 'data');
    const noBundled = path.join(work, 'no-bundled');
    fs.mkdirSync(noBundled, { recursive: true });
    const reg = new ModelRegistry(dataDir, noBundled);
    const t = nowMs();
    const id = (await reg.install(packDir)).manifest.id;
    reg.setActive(id);
    log(`[coldstart] pack installed in ${((nowMs() - t) / 1000).toFixed(1)} s`);
    const lib = path.join(work, 'lib');
    await library(lib, 12);
    child('index', ['--packs-dir', noBundled, '--pack-id', id, '--folder', lib, '--threads', '2', '--data', dataDir]);
    const args = ['--packs-dir', noBundled, '--pack-id', id, '--data', dataDir, '--photo-id', '1'];
    fs.rmSync(graphCacheDir(dataDir), { recursive: true, force: true });
    fs.rmSync(reg.stampsDir, { recursive: true, force: true });
    const cold = child('coldstart', args);
    const cached = child('coldstart', args);
    const env = { ...process.env, MAGICLENS_HOME: dataDir };
    const photo = path.join(lib, 'p001.jpg');
    const compose = ['search', '--photo', photo, '--instruction', 'the same but at night'];
    const text = ['search', '--text', 'a blue photo'];
    const cliCold = { compose: cliWall({ ...env, MAGICLENS_REMOTE: '0' }, compose), text: cliWall({ ...env, MAGICLENS_REMOTE: '0' }, text) };
    const cliServe = await withServe(env, dataDir, () => ({ compose: cliWall(env, compose), text: cliWall(env, text) }));
    const out = { cold, cached, cliCold, cliServe };
    printColdstart(out);
    if (!opts.baselineRev) return out;
    log(`[coldstart] baseline: the same stages at ${opts.baselineRev}…`);
    const baseline = await baselineRun(opts.baselineRev, work, packDir, lib, photo);
    printBaseline(out, baseline);
    return { ...out, baseline };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function printColdstart(r: { cold: Record<string, unknown>; cached: Record<string, unknown>; cliCold: Record<string, number>; cliServe: Record<string, number> }): void {
  const c = r.cold as Record<string, number>, k = r.cached as Record<string, number>;
  printTable('Cold start, fresh process, base-size pack, library photo as query (ms)', ['stage', 'cold (first start: no graph cache, no stamp)', 'cached'], [
    ['imports done', c.importsMs!, k.importsMs!],
    ['createService resolved', c.serviceReadyMs!, k.serviceReadyMs!],
    ['process start → first composed query answered', c.firstQueryMs!, k.firstQueryMs!],
    ['then first text query', c.firstTextQueryMs!, k.firstTextQueryMs!],
    ['then second composed query', c.secondQueryMs!, k.secondQueryMs!],
    ['bulk lane open (worker, image tower + fusion)', c.bulkOpenMs!, k.bulkOpenMs!],
    ['bulk lane reopen (after its idle release)', c.bulkReopenMs!, k.bulkReopenMs!]]);
  process.stdout.write(`  sessions cold: ${String(r.cold.sessions)}; cached: ${String(r.cached.sessions)}\n`);
  printTable('CLI one-shot wall time (bin/magiclens.mjs, ms)', ['command', 'cold process (MAGICLENS_REMOTE=0, cached graphs)', 'with `serve` running (client mode)'], [
    ['search --photo P --instruction S', r.cliCold.compose!, r.cliServe.compose!],
    ['search --text S', r.cliCold.text!, r.cliServe.text!]]);
}

function printBaseline(now: { cached: Record<string, unknown>; cliCold: Record<string, number>; cliServe: Record<string, number> }, b: Record<string, unknown>): void {
  const f = b.first as Record<string, number>, s = b.second as Record<string, number>, k = now.cached as Record<string, number>, cli = b.cli as Record<string, number>;
  const ratio = (x: number, y: number) => `${(x / y).toFixed(2)}×`;
  printTable(`Before (${String(b.rev)}) and after, same run (ms; before = its first and second start, after = cached start)`, ['stage', 'before, 1st start', 'before, 2nd start', 'after (cached)', 'before 2nd ÷ after'], [
    ['process start → first composed query answered', f.firstQueryMs!, s.firstQueryMs!, k.firstQueryMs!, ratio(s.firstQueryMs!, k.firstQueryMs!)],
    ['second composed query', f.secondQueryMs!, s.secondQueryMs!, k.secondQueryMs!, ratio(s.secondQueryMs!, k.secondQueryMs!)],
    ['CLI search --photo P --instruction S (after: cold process / with serve)', cli.compose!, cli.compose!, `${now.cliCold.compose!.toFixed(0)} / ${now.cliServe.compose!.toFixed(0)}`, `${ratio(cli.compose!, now.cliCold.compose!)} / ${ratio(cli.compose!, now.cliServe.compose!)}`],
    ['CLI search --text S (after: cold process / with serve)', cli.text!, cli.text!, `${now.cliCold.text!.toFixed(0)} / ${now.cliServe.text!.toFixed(0)}`, `${ratio(cli.text!, now.cliCold.text!)} / ${ratio(cli.text!, now.cliServe.text!)}`]]);
}
