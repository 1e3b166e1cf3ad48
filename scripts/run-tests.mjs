#!/usr/bin/env node
// `npm test`: brings what the tests need when it is missing (the supported Node, node_modules, the
// Debian packages: scripts/ensure-env.mjs), then runs every test suite (type check, lint, vitest node +
// renderer projects, Python model tests) and prints one closing line "Tests: N passed, N failed,
// N skipped" over all of them. Names of suites as arguments run only those (types, lint, node,
// renderer, python).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { childEnv, ensureAptPackages, ensureDeps, ensureNode, TEST_APT_PACKAGES } from './ensure-env.mjs';

await ensureNode();
Object.assign(process.env, childEnv());
ensureAptPackages(TEST_APT_PACKAGES);
ensureDeps();

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
// The Node every test process runs on (children find it first on PATH).
const seen = spawnSync('node', ['--version'], { encoding: 'utf8' });
process.stdout.write(`\nnode --version (as the tests see it): ${(seen.stdout ?? '').trim() || 'not found'} — ${process.execPath}\n`);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'magiclens-tests-'));
const totals = { passed: 0, failed: 0, skipped: 0 };
let ok = true;

function run(label, cmd, args, env = {}) {
  process.stdout.write(`\n=== ${label} ===\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) ok = false;
  return r.status ?? 1;
}

function addVitest(file) {
  if (!existsSync(file)) { totals.failed += 1; return; }
  const j = JSON.parse(readFileSync(file, 'utf8'));
  totals.passed += j.numPassedTests ?? 0;
  // A test FILE that fails without a failed test (it crashed at import, or in beforeAll before any
  // test ran) counts as one failure: otherwise such a run could end "0 failed".
  // (numFailedTestSuites also counts describe blocks, so it cannot tell a crash from a failed test.)
  const files = j.testResults ?? [];
  const crashedFiles = files.filter((f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed')).length;
  totals.failed += (j.numFailedTests ?? 0) + crashedFiles;
  totals.skipped += (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  if (j.success === false && (j.numFailedTests ?? 0) === 0 && crashedFiles === 0) totals.failed += 1;
}

// Tests that need the shared data (reference checkpoint, datasets) skip without it when run by
// hand; on CI (CI=true, as .ci/run sets) a missing shared folder is a failure, not a quiet skip.
const shared = path.resolve(process.env.MAGICLENS_SHARED ?? path.join(root, '..', 'shared'));
const sharedOk = existsSync(path.join(shared, 'reference')) && existsSync(path.join(shared, 'datasets'));
if (!sharedOk) {
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  process.stdout.write(`\n${ci ? 'FAIL' : 'warning'}: shared data not found at ${shared} (reference/ and datasets/; set MAGICLENS_SHARED)${ci ? ' — required on CI' : ': the tests that need it are skipped'}\n`);
  if (ci) {
    totals.failed += 1;
    ok = false;
  }
}

const only = process.argv.slice(2);
const want = (name) => only.length === 0 || only.includes(name);

if (want('types')) {
  const s = run('type check (tsc, strict)', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
  if (s === 0) totals.passed += 1; else totals.failed += 1;
  if (existsSync(path.join(root, 'renderer', 'tsconfig.json'))) {
    const r = run('type check (svelte-check)', 'npx', ['svelte-check', '--tsconfig', 'renderer/tsconfig.json', '--fail-on-warnings=false', '--output', 'human']);
    if (r === 0) totals.passed += 1; else totals.failed += 1;
  }
}
if (want('lint')) {
  const s = run('lint (eslint: typescript-eslint, svelte, import boundaries)', 'npx', ['eslint', '.']);
  if (s === 0) totals.passed += 1; else totals.failed += 1;
}
if (want('node')) {
  const out = path.join(tmp, 'node.json');
  run('vitest (node: unit, integration, e2e)', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`]);
  addVitest(out);
}
if (want('renderer') && existsSync(path.join(root, 'renderer', 'vitest.config.ts'))) {
  const out = path.join(tmp, 'renderer.json');
  run('vitest (renderer components)', 'npx', ['vitest', 'run', '--config', 'renderer/vitest.config.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`]);
  addVitest(out);
}
if (want('python') && existsSync(path.join(root, 'models', 'python', 'tests'))) {
  const out = path.join(tmp, 'python.txt');
  const py = process.env.MAGICLENS_PYTHON ?? '/usr/bin/python3';
  process.stdout.write('\n=== python (models/python unittest) ===\n');
  const r = spawnSync(py, ['-m', 'unittest', 'discover', '-s', 'models/python/tests', '-t', 'models/python', '-v'], { cwd: root, encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  process.stdout.write(text);
  if (r.status !== 0) ok = false;
  const ran = /Ran (\d+) tests?/.exec(text);
  const failures = /failures=(\d+)/.exec(text);
  const errors = /errors=(\d+)/.exec(text);
  const skipped = /skipped=(\d+)/.exec(text);
  const n = ran ? Number(ran[1]) : 0;
  const f = (failures ? Number(failures[1]) : 0) + (errors ? Number(errors[1]) : 0);
  const s = skipped ? Number(skipped[1]) : 0;
  totals.passed += Math.max(0, n - f - s);
  totals.failed += f + (r.status !== 0 && f === 0 ? 1 : 0);
  totals.skipped += s;
  void out;
}
rmSync(tmp, { recursive: true, force: true });
process.stdout.write(`\nTests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(ok && totals.failed === 0 ? 0 : 1);
