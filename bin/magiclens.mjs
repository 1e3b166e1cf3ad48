#!/usr/bin/env node
// Launcher: the built CLI (dist/app/cli.js) when present, else the TypeScript source through tsx's
// loader registered in this process (one Node process, not a second one spawned with the tsx CLI).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist', 'app', 'cli.js');
let entry = built;
if (!existsSync(built)) {
  const { register } = await import(pathToFileURL(path.join(root, 'node_modules', 'tsx', 'dist', 'esm', 'api', 'index.mjs')).href);
  register();
  entry = path.join(root, 'app', 'cli.ts');
}
// Long-running commands (serve, index, …) restart once with glibc's malloc tuned so that freed memory
// goes back to the system (app/process-env.ts); one-shot searches stay in this process.
const env = await import(pathToFileURL(entry.replace(/cli\.(ts|js)$/, 'process-env.$1')).href);
const args = process.argv.slice(2);
if (env.cliNeedsRestart(args, process.env)) {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], { stdio: 'inherit', env: env.withMemoryTunables(process.env) });
  // Forward termination so Ctrl-C stops the real process (which saves progress); exit codes pass through.
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
} else {
  const { main } = await import(pathToFileURL(entry).href);
  process.exit(await main(args));
}
