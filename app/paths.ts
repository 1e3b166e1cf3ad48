// Where the app keeps its data: MAGICLENS_HOME wins, else the platform's user-data folder
// (the same folder Electron's app.getPath('userData') gives for an app named "MagicLens").
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const APP_NAME = 'MagicLens';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const override = env.MAGICLENS_HOME;
  if (override && override.trim() !== '') return path.resolve(override);
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), APP_NAME);
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_NAME);
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), APP_NAME);
}

/** Repository (or packaged app) root: the folder holding package.json. */
export const APP_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), path.basename(path.dirname(path.dirname(fileURLToPath(import.meta.url)))) === 'dist' ? '../..' : '..');

/** The demo model pack that ships inside the app. */
export const BUNDLED_PACKS_DIR = path.join(APP_ROOT, 'models', 'packs');

/** Data that lives beside a checkout (tests and benchmarks only; never copied into the repo). */
export function sharedDir(): string {
  return path.resolve(process.env.MAGICLENS_SHARED ?? path.join(APP_ROOT, '..', 'shared'));
}
