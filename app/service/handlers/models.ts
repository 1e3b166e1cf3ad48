// models.*: the installed model packs, the catalogue of official ones, activating, installing and
// removing one, and the background re-index that precedes a switch.
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
    'models.catalogue': async () => models.catalogue(),
    'models.upgrade': async () => models.upgrade(),
    'models.switchNow': async () => ({ switched: await models.finishUpgrade() }),
  };
}
