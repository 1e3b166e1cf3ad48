// The desktop-only bulk actions (Show in folder, Open) are offered where a shell exists (the
// Electron IPC transport) and dispatched to it with the selected photos' ids; the browser build
// (HTTP transport, no shell) does not offer them. Also: favouriting updates the hearts on result tiles.
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { flushSync, tick } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { Photo } from '../../app/api/contract.js';
import { MAX_OPEN_PHOTOS, type ShellMethod } from '../../app/api/shell.js';
import SelectionBar from '../src/components/SelectionBar.svelte';
import type { Client } from '../src/lib/api.js';
import { AppState } from '../src/lib/app.svelte.js';
import { ArraySource } from '../src/lib/sources.svelte.js';
import { memoryClient } from './memory-client.js';

const photo = (id: number): Photo => ({ id, hash: `h${id}`, path: `/pics/${id}.jpg`, name: `${id}.jpg`, folderId: 1, size: 10, mtimeMs: 0, width: 4, height: 3, takenAt: null, camera: null, format: 'jpeg', status: 'indexed', error: null });

afterEach(() => cleanup());

function setup(desktop: boolean, n = 3) {
  const shellCalls: { method: ShellMethod; params: unknown }[] = [];
  const base = memoryClient({ 'photos.setFavourite': async ({ ids }) => ({ changed: ids.length }), 'photos.list': async () => ({ items: [], total: 0 }), 'photos.timeline': async () => [] });
  const client: Client = desktop
    ? {
        ...base,
        transport: 'ipc',
        shell: ((method: ShellMethod, params: { photoIds: number[] }) => {
          shellCalls.push({ method, params });
          return Promise.resolve(method === 'shell.revealPhotos' ? { folders: 2, shown: 2 } : { opened: params.photoIds.length, failed: 0 });
        }) as Client['shell'],
      }
    : base;
  const app = new AppState(client);
  const src = new ArraySource(Array.from({ length: n }, (_, i) => ({ photo: photo(i + 1), score: 0.5 })));
  app.results = src;
  for (let i = 0; i < n; i++) app.selection.toggle(src, i);
  return { app, shellCalls, src };
}

describe('desktop shell bulk actions', () => {
  it('the browser build offers neither', () => {
    const { app } = setup(false);
    render(SelectionBar, { app });
    expect(screen.queryByRole('button', { name: 'Show in folder' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Open' })).toBeNull();
    expect(screen.getByRole('button', { name: /Copy to folder/ })).toBeTruthy();
  });

  it('the desktop app offers both and sends the selected ids to the shell', async () => {
    const { app, shellCalls } = setup(true);
    render(SelectionBar, { app });
    await fireEvent.click(screen.getByRole('button', { name: 'Show in folder' }));
    await new Promise((r) => setTimeout(r, 0));
    await fireEvent.click(screen.getByRole('button', { name: 'Open' }));
    await new Promise((r) => setTimeout(r, 0));
    expect(shellCalls).toEqual([
      { method: 'shell.revealPhotos', params: { photoIds: [1, 2, 3] } },
      { method: 'shell.openPhotos', params: { photoIds: [1, 2, 3] } },
    ]);
    expect(app.toast?.message).toBe('Opened 3 photos in your default app.');
  });

  it('more photos than Open takes: refused with the reason, nothing sent', async () => {
    const { app, shellCalls } = setup(true, MAX_OPEN_PHOTOS + 1);
    render(SelectionBar, { app });
    await fireEvent.click(screen.getByRole('button', { name: 'Open' }));
    expect(shellCalls).toEqual([]);
    expect(app.toast).toMatchObject({ kind: 'error', message: expect.stringContaining(`up to ${MAX_OPEN_PHOTOS}`) });
  });
});

describe('favourites on result tiles', () => {
  it('the favourite flag of the selected results changes at once', async () => {
    const { app } = setup(false);
    render(SelectionBar, { app });
    await fireEvent.click(screen.getByRole('button', { name: 'Favourite' }));
    await new Promise((r) => setTimeout(r, 0));
    await tick();
    flushSync();
    expect(app.results.items.map((it) => it.photo.favourite)).toEqual([true, true, true]);
  });
});
