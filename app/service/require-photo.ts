// Looks up a photo row for a request, turning a missing id into the API's not_found error.
import { ApiError } from '../api/contract.js';
import type { PhotoRepo, PhotoRow } from '../store/photos.js';

export function requirePhoto(photos: PhotoRepo, id: number): PhotoRow {
  const r = photos.get(id);
  if (!r) throw new ApiError('not_found', `no photo ${id}`);
  return r;
}
