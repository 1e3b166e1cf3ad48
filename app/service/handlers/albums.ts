// albums.*: smart albums (a saved query and its matches) and manual albums (photos put there by hand).
import type { AlbumEngine } from '../../search/albums.js';
import type { PhotoRepo } from '../../store/photos.js';
import { requirePhoto } from '../require-photo.js';
import type { HandlerSlice } from './slice.js';

export function albumHandlers(d: { albums: AlbumEngine; photos: PhotoRepo }): HandlerSlice<'albums'> {
  const { albums } = d;
  return {
    'albums.list': async () => albums.list(),
    'albums.get': async ({ id, offset, limit }) => albums.get(id, offset, limit),
    'albums.create': async (p) => {
      if (p.query.kind !== 'text') requirePhoto(d.photos, p.query.photoId);
      return albums.create(p);
    },
    'albums.createManual': async ({ name, photoIds }) => albums.createManual(name, photoIds),
    'albums.addPhotos': async ({ id, photoIds }) => albums.editManual(id, photoIds, 'add'),
    'albums.removePhotos': async ({ id, photoIds }) => albums.editManual(id, photoIds, 'remove'),
    'albums.freeze': async ({ id, name }) => albums.freeze(id, name),
    'albums.update': async (p) => albums.update(p),
    'albums.delete': async ({ id }) => ({ deleted: albums.delete(id) }),
  };
}
