// The user's settings as stored in the database, merged over defaults that fit this machine.
import os from 'node:os';
import type { Settings } from '../api/contract.js';
import { Settings as SettingsSchema } from '../api/schemas.js';
import { defaultProviders } from '../model/runtime.js';
import type { SettingsRepo } from '../store/settings.js';

const DEFAULT_SKETCH_INSTRUCTION = 'find a natural image of it';
const KEY = 'settings';

export function defaultSettings(threads?: number): Settings {
  // Every core for the bulk lane: it runs below interactive work (nice 10 on Linux), so it only
  // takes what queries leave. Capped: ORT's scaling flattens past ~8 intra-op threads.
  const cores = Math.min(8, Math.max(1, os.availableParallelism()));
  return { threads: threads ?? cores, providers: defaultProviders(), theme: 'system', sketchInstruction: DEFAULT_SKETCH_INSTRUCTION };
}

/** Stored settings over the defaults; a stored value that no longer validates falls back to the defaults. */
export function readSettings(repo: SettingsRepo, threads?: number): Settings {
  const stored = repo.get<Partial<Settings>>(KEY) ?? {};
  const parsed = SettingsSchema.safeParse({ ...defaultSettings(threads), ...stored });
  return parsed.success ? parsed.data : defaultSettings(threads);
}

/** Validates `patch` over `prev`, stores and returns the result. */
export function writeSettings(repo: SettingsRepo, prev: Settings, patch: Partial<Settings>): Settings {
  const next = SettingsSchema.parse({ ...prev, ...patch });
  repo.set(KEY, next);
  return next;
}
