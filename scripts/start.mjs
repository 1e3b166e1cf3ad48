#!/usr/bin/env node
// `npm start`: brings the supported Node and node_modules when missing (scripts/ensure-env.mjs),
// builds the renderer when needed, then launches the desktop app with Electron when
// its binary is installed; otherwise serves the same UI over the local HTTP bridge
// (`magiclens serve`) and prints (and, with a display, opens) the URL.
// Flags: --browser (use the bridge even when Electron exists), --no-open, --port N.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv, ensureDeps, ensureNode } from './ensure-env.mjs';

await ensureNode();
Object.assign(process.env, childEnv());
ensureDeps();

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (f) => args.includes(f);
const portArg = args.includes('--port') ? args[args.indexOf('--port') + 1] : undefined;

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function run(cmd, cmdArgs, what) {
  process.stdout.write(`${what}…\n`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`${what} failed (exit ${r.status}).\n`);
    process.exit(r.status ?? 1);
  }
}

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

// 1. The renderer bundle: rebuilt when missing or older than its sources.
const index = path.join(root, 'renderer', 'dist', 'index.html');
const sources = Math.max(newestMtime(path.join(root, 'renderer', 'src')), statSync(path.join(root, 'renderer', 'index.html')).mtimeMs);
if (!existsSync(index) || statSync(index).mtimeMs < sources) run(npx, ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], 'Building the interface');

// 2. Electron, when its binary is really there. Not require('electron'): since Electron 45 that
// downloads the binary when it is missing, and installs here skip that download on purpose.
function installedElectron() {
  const dir = path.join(root, 'node_modules', 'electron');
  try {
    const bin = path.join(dir, 'dist', readFileSync(path.join(dir, 'path.txt'), 'utf8').trim());
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}
const electronBin = installedElectron();

if (electronBin && !flag('--browser')) {
  const mainJs = path.join(root, 'dist', 'main', 'main.js');
  const mainSrc = Math.max(newestMtime(path.join(root, 'main')), newestMtime(path.join(root, 'app')));
  if (!existsSync(mainJs) || statSync(mainJs).mtimeMs < mainSrc) run(npx, ['tsc', '-p', 'tsconfig.build.json'], 'Compiling the app');
  const child = spawn(electronBin, [root], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  if (!electronBin) process.stdout.write('Electron is not installed here; serving MagicLens in your browser instead.\n');
  const serveArgs = [path.join(root, 'bin', 'magiclens.mjs'), 'serve', ...(portArg ? ['--port', portArg] : [])];
  const child = spawn(process.execPath, serveArgs, { cwd: root, stdio: ['inherit', 'pipe', 'inherit'] });
  let opened = false;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text) => {
    const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.exec(text);
    if (m && !opened) {
      opened = true;
      process.stdout.write(`\nMagicLens is running at:\n\n  ${m[0]}\n\nOpen it in a browser (the token in the link is the key; keep it private). Ctrl-C stops it.\n`);
      openBrowser(m[0]);
    } else {
      process.stdout.write(text);
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 0));
}

function openBrowser(url) {
  if (flag('--no-open') || process.env.MAGICLENS_NO_OPEN === '1' || process.env.CI) return;
  const hasDisplay = process.platform !== 'linux' || !!process.env.DISPLAY || !!process.env.WAYLAND_DISPLAY;
  if (!hasDisplay) return;
  const [cmd, cmdArgs] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  try {
    const c = spawn(cmd, cmdArgs, { stdio: 'ignore', detached: true });
    c.on('error', () => undefined);
    c.unref();
  } catch {
    /* no opener: the printed URL is enough */
  }
}
