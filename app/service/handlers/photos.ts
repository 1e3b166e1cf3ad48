// photos.*: paging through the library, one photo, favourites, copies out, and the photos that could not be read.
import { toPhoto, type PhotoRepo } from '../../store/photos.js';
import { exportPhotos } from '../export-photos.js';
import { requirePhoto } from '../require-photo.js';
import type { HandlerSlice } from './slice.js';

export function photoHandlers(d: { photos: PhotoRepo }): HandlerSlice<'photos'> {
  const { photos } = d;
  return {
    'photos.list': async (p) => {
      const r = photos.list(p);
      return { items: r.items.map(toPhoto), total: r.total };
    },
    'photos.timeline': async (p) => photos.timeline(p),
    'photos.get': async ({ id }) => toPhoto(requirePhoto(photos, id)),
    'photos.setFavourite': async ({ ids, favourite }) => ({ changed: photos.setFavourite(ids, favourite) }),
    'photos.export': async ({ ids, dest }) => exportPhotos(photos, ids, dest),
    'photos.errors': async ({ offset, limit }) => {
      const r = photos.errors(offset, limit);
      return { items: r.items.map(toPhoto), total: r.total };
    },
  };
}
