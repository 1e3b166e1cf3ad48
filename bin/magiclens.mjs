#!/usr/bin/env node
// Launcher: the built CLI (dist/app/cli.js) when present, else the TypeScript source through tsx's
// loader registered in this process (one Node process, not a second one spawned with the tsx CLI).
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
const { main } = await import(pathToFileURL(entry).href);
process.exit(await main(process.argv.slice(2)));
