// status.get: version, data folder, active model and the library's counts.
import fs from 'node:fs';
import path from 'node:path';
import type { Indexer } from '../../index/indexer.js';
import { APP_ROOT } from '../../paths.js';
import type { AlbumRepo } from '../../store/albums.js';
import type { FolderRepo } from '../../store/folders.js';
import type { PhotoRepo } from '../../store/photos.js';
import type { ModelLanes } from '../lanes.js';
import type { ModelManager } from '../models.js';
import type { HandlerSlice } from './slice.js';

export interface StatusDeps {
  dataDir: string;
  photos: PhotoRepo;
  folders: FolderRepo;
  albums: AlbumRepo;
  indexer: Pick<Indexer, 'progress'>;
  models: Pick<ModelManager, 'infos'>;
  lanes: Pick<ModelLanes, 'provider'>;
}

function appVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(APP_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function statusHandlers(d: StatusDeps): HandlerSlice<'status'> {
  return {
    'status.get': async () => ({
      version: appVersion(),
      dataDir: d.dataDir,
      model: d.models.infos().find((m) => m.active) ?? null,
      provider: d.lanes.provider,
      photos: d.photos.countByStatus(),
      folders: d.folders.all().length,
      albums: d.albums.all().length,
      index: d.indexer.progress(),
    }),
  };
}
