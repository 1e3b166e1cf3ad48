// models.*: the installed model packs, activating, installing and removing one.
import type { ModelManager } from '../models.js';
import type { HandlerSlice } from './slice.js';

export function modelHandlers(d: { models: ModelManager }): HandlerSlice<'models'> {
  const { models } = d;
  return {
    'models.list': async () => models.infos(),
    'models.activate': async ({ id }) => models.activate(id),
    'models.install': async (p) => models.install(p),
    'models.cancelInstall': async ({ jobId }) => models.cancelInstall(jobId),
    'models.remove': async ({ id }) => models.remove(id),
  };
}
