#!/usr/bin/env node
// Launcher: the built CLI (dist/app/cli.js) when present, else the TypeScript source via tsx.
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist', 'app', 'cli.js');
if (existsSync(built)) {
  const { main } = await import(pathToFileURL(built).href);
  process.exit(await main(process.argv.slice(2)));
} else {
  const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const child = spawn(process.execPath, [tsx, path.join(root, 'app', 'cli.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
  // Forward termination so Ctrl-C stops the real process (which saves progress) and exit codes pass through.
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}
