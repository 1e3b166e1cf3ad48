// settings.*: reading and changing the user's settings.
import type { SettingsRepo } from '../../store/settings.js';
import type { ModelManager } from '../models.js';
import { readSettings, writeSettings } from '../settings-store.js';
import type { HandlerSlice } from './slice.js';

export interface SettingsDeps {
  repo: SettingsRepo;
  /** The service's thread count: the default until the user stores one. */
  threads?: number;
  models: Pick<ModelManager, 'reopenLanes'>;
}

export function settingsHandlers(d: SettingsDeps): HandlerSlice<'settings'> {
  return {
    'settings.get': async () => readSettings(d.repo, d.threads),
    'settings.set': async (p) => {
      const prev = readSettings(d.repo, d.threads);
      const next = writeSettings(d.repo, prev, p);
      if (next.threads !== prev.threads || next.providers.join() !== prev.providers.join() || (next.imagePrecision ?? 'auto') !== (prev.imagePrecision ?? 'auto')) {
        // New ORT sessions are needed (for a precision change: the choice is made again, so the
        // Models view's reason follows): reopen the lanes (indexing continues where it was).
        await d.models.reopenLanes();
      }
      return next;
    },
  };
}
