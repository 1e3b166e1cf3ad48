// What `npm start` and `npm test` need before they can run, installed when it is missing:
// - the supported Node LTS: when the running Node is older, Node NODE_VERSION is fetched from the npm
//   registry (the `node-<os>-<arch>` package holds bin/node and the headers) into .cache/node/ and the
//   calling script is re-run under it, with its bin first on PATH so `npx vitest`, `npm ci` and every
//   other child use the same Node;
// - node_modules, installed with `npm ci` when missing or stale (a stamp records the lockfile's hash
//   and the Node ABI it was installed for; a quick load of better-sqlite3 checks the native side);
// - for the tests, the Debian packages (apt-get when root, otherwise the one command to run).
// This file must itself run on old Node (20): plain ESM, no newer APIs.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The Node the project runs on (an Active/Maintenance LTS line; see README "Supported runtimes"). */
export const NODE_VERSION = '24.22.3';
/** Oldest Node accepted as-is (package.json engines); anything older gets NODE_VERSION. */
export const NODE_MIN = [24, 11];

export const TEST_APT_PACKAGES = ['chromium', 'xvfb', 'xauth', 'python3', 'python3-torch', 'python3-onnx', 'python3-numpy', 'python3-msgpack', 'python3-pil', 'libopenblas0-pthread', 'libheif-examples'];

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const STAMP = path.join(ROOT, 'node_modules', '.magiclens-install.json');

function fail(message) {
  process.stderr.write(`\n${message}\n`);
  process.exit(1);
}

function nodeIsSupported(version) {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return major > NODE_MIN[0] || (major === NODE_MIN[0] && minor >= NODE_MIN[1]);
}

/** Environment for children: this Node's bin first on PATH; native builds against this Node's headers. */
export function childEnv(extra = {}) {
  const bin = path.dirname(process.execPath);
  const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };
  // node-gyp compiles against npm_config_nodedir; a user npmrc may point it at another Node's headers.
  const prefix = path.dirname(bin);
  if (existsSync(path.join(prefix, 'include', 'node', 'node_version.h'))) env.npm_config_nodedir = prefix;
  return { ...env, ...extra };
}

function cachedNodeDir() {
  return path.join(ROOT, '.cache', 'node', `v${NODE_VERSION}`);
}

/** Fetches node-<os>-<arch>@NODE_VERSION with npm (which checks the registry's integrity hash). */
function fetchNode(dir) {
  const pkg = process.platform === 'linux' || process.platform === 'darwin' ? `node-${process.platform}-${process.arch}@${NODE_VERSION}` : null;
  const advice = `Install Node.js ${NODE_MIN[0]} LTS (https://nodejs.org/en/download) and run the command again.`;
  if (!pkg) fail(`MagicLens needs Node.js >= ${NODE_MIN.join('.')}; this is ${process.version}.\n${advice}`);
  process.stdout.write(`Node ${process.version} is older than the supported ${NODE_MIN[0]} LTS: fetching ${pkg} from the npm registry into .cache/node…\n`);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const packed = spawnSync(NPM, ['pack', pkg, '--pack-destination', tmp, '--json', '--silent'], { cwd: tmp, encoding: 'utf8' });
  let file;
  try {
    file = JSON.parse(packed.stdout)[0].filename;
  } catch {
    file = null;
  }
  if (packed.status !== 0 || !file) {
    rmSync(tmp, { recursive: true, force: true });
    fail(`Could not fetch ${pkg} from the npm registry (${(packed.stderr || '').trim().split('\n').pop() || `npm exit ${packed.status}`}).\n${advice}`);
  }
  const untar = spawnSync('tar', ['-xzf', path.join(tmp, file), '-C', tmp, '--strip-components=1'], { stdio: 'inherit' });
  rmSync(path.join(tmp, file), { force: true });
  if (untar.status !== 0 || !existsSync(path.join(tmp, 'bin', 'node'))) fail(`Unpacking ${pkg} failed.\n${advice}`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

/**
 * Returns when the running Node is supported. Otherwise runs this same script under the supported
 * Node (fetched once into .cache/node) and exits with its status: the promise never resolves then.
 */
export function ensureNode() {
  if (nodeIsSupported(process.version)) return Promise.resolve();
  const dir = cachedNodeDir();
  const node = path.join(dir, 'bin', 'node');
  if (!existsSync(node)) fetchNode(dir);
  const check = spawnSync(node, ['--version'], { encoding: 'utf8' });
  if (check.status !== 0 || !nodeIsSupported(check.stdout.trim())) {
    rmSync(dir, { recursive: true, force: true });
    fail(`The Node in .cache/node does not run here (${(check.stderr || '').trim()}). Install Node.js ${NODE_MIN[0]} LTS (https://nodejs.org) and run the command again.`);
  }
  process.stdout.write(`Re-running under Node ${check.stdout.trim()} (${path.relative(ROOT, node)}).\n`);
  const env = { ...process.env, PATH: `${path.join(dir, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`, npm_config_nodedir: dir };
  const child = spawn(node, [process.argv[1], ...process.argv.slice(2)], { stdio: 'inherit', env });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return new Promise(() => undefined);
}

function installKey() {
  const lock = readFileSync(path.join(ROOT, 'package-lock.json'));
  return { lockfile: createHash('sha256').update(lock).digest('hex'), abi: process.versions.modules, napi: process.versions.napi, platform: process.platform, arch: process.arch };
}

function readStamp() {
  try {
    return JSON.parse(readFileSync(STAMP, 'utf8'));
  } catch {
    return null;
  }
}

function runOrFail(cmd, args, what, env) {
  process.stdout.write(`${what}…\n`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env });
  if (r.status !== 0) fail(`${what} failed (exit ${r.status ?? r.signal}).`);
}

/** Loads the native modules the app needs; false when one was built for another Node. */
function nativeModulesLoad(env) {
  const probe = "const D=require('better-sqlite3');new D(':memory:').close();require('onnxruntime-node');require('sharp');";
  return spawnSync(process.execPath, ['-e', probe], { cwd: ROOT, env, stdio: 'ignore' }).status === 0;
}

/**
 * node_modules as the lockfile says, for this Node: `npm ci` when missing or stale. Electron's and
 * onnxruntime-node's binary downloads are off unless the caller's environment says otherwise.
 */
export function ensureDeps() {
  const env = childEnv({ ELECTRON_SKIP_BINARY_DOWNLOAD: process.env.ELECTRON_SKIP_BINARY_DOWNLOAD ?? '1', ONNXRUNTIME_NODE_INSTALL: process.env.ONNXRUNTIME_NODE_INSTALL ?? 'skip' });
  const key = installKey();
  const stamp = readStamp();
  const fresh = stamp && Object.keys(key).every((k) => stamp[k] === key[k]);
  if (!fresh) {
    const why = !existsSync(path.join(ROOT, 'node_modules')) ? 'not installed yet' : !stamp ? 'no install stamp' : stamp.lockfile !== key.lockfile ? 'package-lock.json changed' : `installed for Node ABI ${stamp.abi}, running ${key.abi}`;
    runOrFail(NPM, ['ci', '--no-audit', '--no-fund'], `Installing dependencies with npm ci (${why})`, env);
  }
  if (!nativeModulesLoad(env)) {
    runOrFail(NPM, ['rebuild'], 'Rebuilding native modules for this Node', env);
    if (!nativeModulesLoad(env)) fail(`Native modules (better-sqlite3, onnxruntime-node, sharp) do not load under Node ${process.version} even after npm rebuild. Remove node_modules and run the command again.`);
  }
  if (!fresh) writeFileSync(STAMP, `${JSON.stringify({ ...key, node: process.version, installedAt: new Date().toISOString() }, null, 2)}\n`);
}

/** Debian/Ubuntu packages: installed when running as root, else the one command to run is printed. */
export function ensureAptPackages(packages) {
  if (process.platform !== 'linux' || spawnSync('dpkg-query', ['--version'], { stdio: 'ignore' }).status !== 0) return;
  const missing = packages.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return !(r.stdout ?? '').includes('install ok installed');
  });
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) fail(`Missing system packages for the tests. Install them with:\n\n  sudo apt-get install -y --no-install-recommends ${missing.join(' ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  runOrFail('apt-get', ['update', '-qq'], 'apt-get update', env);
  runOrFail('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], `Installing ${missing.join(' ')}`, env);
}
