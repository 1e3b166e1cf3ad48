// The indexing pipeline's wiring: library changes kick the indexer, indexed batches refresh albums, each step emits its events.
import fs from 'node:fs';
import type { EventSink } from '../api/contract.js';
import { HeaderPrepass } from '../index/header-prepass.js';
import { Indexer } from '../index/indexer.js';
import { Library, type LibraryEvents } from '../library/library.js';
import { thumbPath } from '../media/thumbs.js';
import type { AlbumEngine } from '../search/albums.js';
import type { AlbumRepo } from '../store/albums.js';
import type { Db } from '../store/db.js';
import type { FolderRepo } from '../store/folders.js';
import type { PhotoRepo } from '../store/photos.js';
import type { VectorStore } from '../store/vectors.js';
import { fullRenditionPath } from './image-files.js';
import type { ModelLanes } from './lanes.js';

export interface Stores {
  db: Db;
  photos: PhotoRepo;
  folders: FolderRepo;
  vectors: VectorStore;
  albumRepo: AlbumRepo;
}

export interface IndexerWiring {
  stores: Stores;
  dataDir: string;
  lanes: ModelLanes;
  albums: AlbumEngine;
  emit: EventSink;
  batchSize?: number;
}

export function createIndexer(d: IndexerWiring): Indexer {
  const { lanes, albums, emit } = d;
  // Album matches found inside a batch's transaction are announced once the batch is committed.
  let pendingAlbumEvents: { id: number; count: number }[] = [];
  const prepass = new HeaderPrepass({ db: d.stores.db, photos: d.stores.photos, emit });
  const indexer: Indexer = new Indexer({
    ...d.stores,
    dataDir: d.dataDir,
    batchSize: d.batchSize,
    runtime: async () => {
      // every run: dates and sizes of pending photos first, from their headers (app/index/header-prepass.ts)
      prepass.kick();
      return lanes.activeId ? lanes.bulk().catch(() => null) : null;
    },
    onIndexed: (items) => {
      if (lanes.activeId) pendingAlbumEvents.push(...albums.scoreNew(lanes.activeId, items));
    },
    onBatchCommitted: (ids) => {
      emit('photos.changed', { added: 0, updated: ids.length, removed: 0 });
      const evs = pendingAlbumEvents;
      pendingAlbumEvents = [];
      for (const e of evs) emit('albums.changed', e);
    },
    emitProgress: (p) => emit('index.progress', p),
    onIdle: () => lanes.releaseBulkWhenIdle(() => indexer.isRunning),
  });
  return indexer;
}

export interface LibraryWiring {
  stores: Stores;
  dataDir: string;
  indexer: Pick<Indexer, 'kick'>;
  albums: Pick<AlbumEngine, 'refresh'>;
  emit: EventSink;
  watch: boolean;
  stabilityMs?: number;
  graceMs?: number;
}

export function createLibrary(d: LibraryWiring): Library {
  const { db, folders, photos, vectors, albumRepo } = d.stores;
  const { emit } = d;
  const events: LibraryEvents = {
    changed: (c) => {
      emit('photos.changed', { added: c.added, updated: c.updated, removed: c.removed });
      if (c.pending > 0) d.indexer.kick();
      for (const id of c.affectedAlbums) void d.albums.refresh(id).catch(() => {});
    },
    foldersChanged: () => emit('folders.changed', {}),
    hashesDropped: (hashes) => dropCachedImages(d.dataDir, hashes),
  };
  return new Library(db, folders, photos, vectors, albumRepo, events, { watch: d.watch, stabilityMs: d.stabilityMs, graceMs: d.graceMs });
}

/** The thumbnail cache is keyed by content: drop what no photo shows any more. */
function dropCachedImages(dataDir: string, hashes: readonly string[]): void {
  for (const h of hashes) {
    if (!/^[0-9a-f]{64}$/.test(h)) continue;
    for (const f of [thumbPath(dataDir, h), fullRenditionPath(dataDir, h)]) fs.promises.rm(f, { force: true }).catch(() => {});
  }
}
