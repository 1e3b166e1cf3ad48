// "Show in folder" (Electron-free, testable): reveals the photo's ORIGINAL file. The service's
// image-file answer is what a viewer can show — for a HEIC photo that is the JPEG rendition in the
// data folder — so the original's path comes from photos.get, and is revealed only if it still
// lies inside a library folder after following symlinks.
import path from 'node:path';
import type { RequestEnvelope, ResponseEnvelope } from '../app/api/contract.js';
import { fsPathProblem } from '../app/api/schemas.js';
import { resolveInsideRoots } from '../app/media-access.js';

export interface RevealDeps {
  call(envelope: RequestEnvelope): Promise<ResponseEnvelope>;
  roots(): Promise<{ folders: string[] }>;
}

/** The original file of `photoId` to reveal, or null (unknown photo, gone, outside the library, service down). */
export async function originalPhotoPath(photoId: number, deps: RevealDeps): Promise<string | null> {
  try {
    const r = await deps.call({ id: `reveal-${photoId}`, method: 'photos.get', params: { id: photoId } });
    if (!r.ok) return null;
    const p = (r.result as { path?: unknown }).path;
    if (typeof p !== 'string' || fsPathProblem(p)) return null;
    return await resolveInsideRoots(p, (await deps.roots()).folders);
  } catch {
    return null; // the service is down or restarting: nothing to reveal, and no unhandled rejection
  }
}

/**
 * "Show in folder" for many photos: the first photo of each distinct folder, at most `maxFolders`
 * (one file-manager window each, never one per photo). Photos that cannot be resolved are skipped.
 */
export async function revealTargets(photoIds: readonly number[], deps: RevealDeps, maxFolders: number): Promise<{ folders: number; paths: string[] }> {
  const byFolder = new Map<string, string>();
  for (const id of photoIds) {
    const p = await originalPhotoPath(id, deps);
    if (!p) continue;
    const dir = path.dirname(p);
    if (!byFolder.has(dir)) byFolder.set(dir, p);
  }
  return { folders: byFolder.size, paths: [...byFolder.values()].slice(0, maxFolders) };
}

/** "Open" for many photos: their originals that still lie inside the library, in order. */
export async function openTargets(photoIds: readonly number[], deps: RevealDeps): Promise<string[]> {
  const out: string[] = [];
  for (const id of photoIds) {
    const p = await originalPhotoPath(id, deps);
    if (p) out.push(p);
  }
  return out;
}
