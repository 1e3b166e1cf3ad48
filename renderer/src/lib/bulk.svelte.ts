// Bulk actions on the grid's selection: add to / remove from a manual album, favourites, copy to
// a folder, and in the desktop app show in folder / open in the default app. Each resolves the selection to photo ids once, calls one API method and says what
// happened; the selection is kept after an action, so several can be applied to the same photos.
import type { Album } from '../../../app/api/contract.js';
import { MAX_OPEN_PHOTOS, MAX_REVEAL_PHOTOS } from '../../../app/api/shell.js';
import type { AppState } from './app.svelte.js';

/** Why a typed destination folder cannot be used, or null. Absolute or "~/…"; never relative or UNC. */
export function exportPathProblem(p: string): string | null {
  if (/^[\\/]{2}/.test(p)) return 'Network (UNC) paths are not accepted: copy to a folder on this computer.';
  if (p === '~' || /^~[\\/]/.test(p) || p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p)) return null;
  return 'Type the full path of the folder, e.g. /home/you/Exports or ~/Exports (a relative path is not accepted).';
}

const photos = (n: number) => `${n} photo${n === 1 ? '' : 's'}`;

export class Bulk {
  /** The album picker (add to album) is open. */
  picker = $state(false);
  /** The copy-to-folder dialog is open; its error shows at the field. */
  exporting = $state(false);
  exportError = $state<string | null>(null);
  busy = $state(false);

  constructor(private readonly app: AppState) {}

  get manualAlbums(): Album[] {
    return this.app.albums.filter((a) => a.kind === 'manual');
  }

  private async run<T>(what: string, fn: (ids: number[]) => Promise<T>): Promise<T | undefined> {
    this.busy = true;
    try {
      const ids = await this.app.selection.photoIds();
      if (ids.length === 0) return undefined;
      return await this.app.guard(what, () => fn(ids));
    } finally {
      this.busy = false;
    }
  }

  async addToAlbum(target: { id: number } | { name: string }): Promise<void> {
    const r = await this.run('Could not add to the album', async (ids) =>
      'id' in target ? this.app.client.call('albums.addPhotos', { id: target.id, photoIds: ids }) : { changed: ids.length, album: await this.app.client.call('albums.createManual', { name: target.name, photoIds: ids }) },
    );
    if (!r) return;
    this.picker = false;
    await this.app.loadAlbums();
    const already = 'id' in target ? ` (${r.album.count} in all)` : '';
    this.app.notify(`Added ${photos(r.changed)} to “${r.album.name}”${already}.`);
  }

  async removeFromAlbum(id: number): Promise<void> {
    const r = await this.run('Could not remove from the album', (ids) => this.app.client.call('albums.removePhotos', { id, photoIds: ids }));
    if (!r) return;
    this.app.selection.clear();
    await Promise.all([this.app.loadAlbums(), this.app.openAlbum(id, true)]);
    this.app.notify(`Removed ${photos(r.changed)} from “${r.album.name}”. The photos stay in your library.`);
  }

  async favourite(on: boolean): Promise<void> {
    const r = await this.run('Could not change favourites', async (ids) => ({ ids, ...(await this.app.client.call('photos.setFavourite', { ids, favourite: on })) }));
    if (!r) return;
    const v = this.app.view;
    // In Favourites the photos leave the grid: the selection's indices would point at others.
    if (v.name === 'library' && v.favourites) this.app.selection.clear();
    this.app.favouritesChanged(r.ids, on);
    this.app.notify(on ? `Added ${photos(r.changed)} to Favourites.` : `Removed ${photos(r.changed)} from Favourites.`);
  }

  /** Desktop only: the selected photos' folders in the file manager (one window per folder, capped by main). */
  async reveal(): Promise<void> {
    const r = await this.run('Could not show the folders', async (ids) => {
      const call = this.app.client.shell('shell.revealPhotos', { photoIds: ids.slice(0, MAX_REVEAL_PHOTOS) });
      return call ? { ids, ...(await call) } : undefined;
    });
    if (!r) return;
    if (r.shown === 0) return this.app.notify('None of these photos is on disk any more.', 'error');
    const more = r.folders > r.shown ? ` (the first ${r.shown} of ${r.folders} folders)` : '';
    const unread = r.ids.length > MAX_REVEAL_PHOTOS ? ` Only the first ${MAX_REVEAL_PHOTOS} photos were looked at.` : '';
    this.app.notify(`Showing ${r.shown === 1 ? 'the folder' : `${r.shown} folders`} in the file manager${more}.${unread}`);
  }

  /** Desktop only: opens the selected photos in the default app for their type, up to MAX_OPEN_PHOTOS. */
  async openOriginals(): Promise<void> {
    if (this.app.selection.size > MAX_OPEN_PHOTOS) return this.app.notify(`Open up to ${MAX_OPEN_PHOTOS} photos at a time (${this.app.selection.size} are selected).`, 'error');
    const r = await this.run('Could not open the photos', async (ids) => this.app.client.shell('shell.openPhotos', { photoIds: ids }) ?? undefined);
    if (!r) return;
    this.app.notify(r.failed ? `Opened ${photos(r.opened)}; ${r.failed} could not be opened.` : `Opened ${photos(r.opened)} in your default app.`, r.opened ? 'info' : 'error');
  }

  async exportTo(dest: string): Promise<void> {
    this.exportError = exportPathProblem(dest);
    if (this.exportError) return;
    this.busy = true;
    try {
      const ids = await this.app.selection.photoIds();
      const r = await this.app.client.call('photos.export', { ids, dest });
      this.exporting = false;
      const notes = [r.renamed ? `${r.renamed} renamed to keep existing files` : '', r.missing ? `${r.missing} no longer on disk` : ''].filter(Boolean).join(', ');
      this.app.notify(`Copied ${photos(r.copied)} to ${r.dest}${notes ? ` (${notes})` : ''}. The originals are unchanged.`);
    } catch (err) {
      this.exportError = err instanceof Error ? err.message : String(err);
    } finally {
      this.busy = false;
    }
  }
}
