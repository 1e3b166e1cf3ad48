// The library, album and search views share ResultsView: header, empty states, grid and footer.
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Album, Handlers, Photo, Status } from '../../app/api/contract.js';
import AlbumView from '../src/components/AlbumView.svelte';
import LibraryView from '../src/components/LibraryView.svelte';
import SearchView from '../src/components/SearchView.svelte';
import { AppState } from '../src/lib/app.svelte.js';
import { memoryClient } from './memory-client.js';

const photo: Photo = { id: 9, hash: 'h', path: '/pics/beach.jpg', name: 'beach.jpg', folderId: 1, size: 10, mtimeMs: 0, width: 4, height: 3, takenAt: null, camera: null, format: 'jpeg', status: 'indexed', error: null };
const album: Album = { id: 4, name: 'Beach at night', query: { kind: 'compose', photoId: 9, instruction: 'at night' }, rule: { kind: 'topN', n: 50 }, filters: {}, count: 1, coverPhotoId: null, createdAt: 0, updatedAt: 0 };
const status = { version: '0', dataDir: '/d', model: null, provider: 'cpu', photos: { total: 1, indexed: 1, pending: 0, errors: 0 }, folders: 1, albums: 1, index: { state: 'idle', done: 0, total: 0, failed: 0, ratePerSec: 0, etaSec: null, current: null, modelId: null } } as Status;
const folder = { id: 1, path: '/pics', exclude: [], photoCount: 1, errorCount: 0, available: true, addedAt: 0 };

async function started(overrides: Partial<Handlers> = {}) {
  const client = memoryClient({
    'status.get': async () => status,
    'folders.list': async () => [folder],
    'albums.list': async () => [album],
    'settings.get': async () => ({ threads: 2, providers: ['cpu'], theme: 'system', sketchInstruction: 'x' }),
    'models.list': async () => [],
    'index.progress': async () => status.index,
    'photos.list': async () => ({ items: [photo], total: 1 }),
    'search.compose': async (p) => ({ kind: 'compose', hits: [{ photo, score: 0.5 }], offset: 0, hasMore: false, queryPhoto: photo, instruction: p.instruction, modelId: 'm', elapsedMs: 1 }),
    'albums.get': async (p) => ({ album, hits: p.offset === 0 ? [{ photo, score: 0.9 }] : [{ photo: { ...photo, id: 10, name: 'dune.jpg' }, score: 0.8 }], hasMore: p.offset === 0 }),
    ...overrides,
  });
  const app = new AppState(client);
  await app.start();
  return { client, app };
}

const subline = () => document.querySelector('header .sub')?.textContent;

// jsdom has no layout: the grid's size bindings need a ResizeObserver that never fires.
vi.stubGlobal('ResizeObserver', class { observe() {} unobserve() {} disconnect() {} });
// Views render into document.body; testing-library only unmounts them itself under vitest globals.
afterEach(cleanup);

describe('LibraryView', () => {
  it('welcomes a library with no folders and offers to add one', async () => {
    const { app } = await started({ 'folders.list': async () => [], 'photos.list': async () => ({ items: [], total: 0 }) });
    render(LibraryView, { app, folderId: null });
    await screen.findByText('Welcome to MagicLens');
    expect(screen.queryByRole('grid')).toBeNull();
    expect(screen.queryByLabelText('Sort photos')).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Add a folder' }));
    expect(app.addFolderDialog).toBe(true);
  });

  it('lists photos under a plain header with a count and a sort menu, without a footer', async () => {
    const { app } = await started();
    const { container } = render(LibraryView, { app, folderId: null });
    await vi.waitFor(() => expect(app.library.count).toBe(1));
    flushSync();
    expect(screen.getByRole('heading', { name: 'All photos' })).toBeTruthy();
    expect(subline()).toBe('1 photo');
    expect(screen.getByRole('grid', { name: 'Photos' })).toBeTruthy();
    expect(screen.getByLabelText('Sort photos')).toBeTruthy();
    expect(container.querySelector('.kind, .footer')).toBeNull();
  });

  it('names the folder and offers a rescan inside a folder', async () => {
    const { client, app } = await started({ 'folders.rescan': async () => ({ ok: true }) as never });
    render(LibraryView, { app, folderId: 1 });
    await vi.waitFor(() => expect(app.library.count).toBe(1));
    flushSync();
    expect(screen.getByRole('heading', { name: 'pics' })).toBeTruthy();
    expect(subline()).toBe('/pics · 1 photo');
    await fireEvent.click(screen.getByRole('button', { name: 'Rescan' }));
    expect(client.calls).toContain('folders.rescan');
  });
});

describe('SearchView', () => {
  it('shows the query photo, the instruction, the count and the end of the results', async () => {
    const { app } = await started();
    app.setQueryPhoto(photo);
    app.instruction = 'at night';
    await app.search();
    render(SearchView, { app });
    expect(screen.getByText('Photo + instruction')).toBeTruthy();
    expect(screen.getByRole('heading', { name: '“at night”' }).getAttribute('title')).toBe('“at night”');
    expect(subline()).toBe('1 result · 1 ms · model m');
    expect(screen.getByTestId('query-photo').textContent).toContain('beach.jpg');
    expect(screen.getByRole('grid', { name: 'Search results' })).toBeTruthy();
    expect(screen.getByText('End of results')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Show more results' })).toBeNull();
  });

  it('says so when the search fails, without a header or grid', async () => {
    const { app } = await started({ 'search.text': async () => { throw new Error('model missing'); } });
    app.instruction = 'a red bicycle';
    await app.search();
    render(SearchView, { app });
    expect(screen.getByText('Search failed')).toBeTruthy();
    expect(screen.getByText('model missing')).toBeTruthy();
    expect(screen.queryByRole('grid')).toBeNull();
    expect(document.querySelector('header')).toBeNull();
  });
});

describe('AlbumView', () => {
  it('describes the album and loads more hits from the footer', async () => {
    const { client, app } = await started();
    await app.openAlbum(4);
    render(AlbumView, { app, id: 4 });
    expect(screen.getByText('Smart album')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Beach at night' })).toBeTruthy();
    expect(subline()).toBe('Photo + “at night” · 1 photo · updates as photos arrive');
    expect(screen.getByRole('grid', { name: 'Album photos' })).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Show more' }));
    await vi.waitFor(() => expect(app.albumHits.count).toBe(2));
    flushSync();
    expect(client.calls.filter((c) => c === 'albums.get')).toHaveLength(2);
    expect(screen.queryByRole('button', { name: 'Show more' })).toBeNull();
    expect(document.querySelector('.footer')?.textContent?.trim()).toBe('');
  });

  it('asks before deleting and shows the empty state while nothing matches', async () => {
    const { app } = await started({ 'albums.get': async () => ({ album, hits: [], hasMore: false }) });
    await app.openAlbum(4);
    render(AlbumView, { app, id: 4 });
    expect(screen.getByText('No matching photos yet')).toBeTruthy();
    expect(screen.queryByRole('grid')).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Delete album' }));
    expect(screen.getByText('Delete this album? Photos stay.')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Keep' }));
    expect(screen.getByRole('button', { name: 'Delete album' })).toBeTruthy();
  });
});
