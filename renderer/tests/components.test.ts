// Svelte components mounted in jsdom over an in-memory client that uses the real dispatcher.
import { fireEvent, render, screen } from '@testing-library/svelte';
import { flushSync, tick } from 'svelte';
import { describe, expect, it } from 'vitest';
import type { Album, Photo, Status } from '../../app/api/contract.js';
import Sidebar from '../src/components/Sidebar.svelte';
import SearchBar from '../src/components/SearchBar.svelte';
import { createClient } from '../src/lib/api.js';
import { AppState } from '../src/lib/app.svelte.js';
import { memoryClient } from './memory-client.js';

const album: Album = { id: 4, name: 'Red cars', query: { kind: 'text', text: 'red car' }, rule: { kind: 'topN', n: 50 }, filters: {}, count: 3, coverPhotoId: null, createdAt: 0, updatedAt: 0 };
const photo: Photo = { id: 9, hash: 'h', path: '/pics/beach.jpg', name: 'beach.jpg', folderId: 1, size: 10, mtimeMs: 0, width: 4, height: 3, takenAt: null, camera: null, format: 'jpeg', status: 'indexed', error: null };
const status = { version: '0', dataDir: '/d', model: null, provider: 'cpu', photos: { total: 1, indexed: 1, pending: 0, errors: 0 }, folders: 1, albums: 1, index: { state: 'idle', done: 0, total: 0, failed: 0, ratePerSec: 0, etaSec: null, current: null, modelId: null } } as Status;

function appState() {
  const client = memoryClient({
    'status.get': async () => status,
    'folders.list': async () => [{ id: 1, path: '/pics', exclude: [], photoCount: 1, errorCount: 0, available: true, addedAt: 0 }],
    'albums.list': async () => [album],
    'settings.get': async () => ({ threads: 2, providers: ['cpu'], theme: 'system', sketchInstruction: 'x' }),
    'models.list': async () => [],
    'index.progress': async () => status.index,
    'photos.list': async () => ({ items: [photo], total: 1 }),
    'photos.get': async () => photo,
    'search.compose': async (p) => ({ kind: 'compose', hits: [{ photo, score: 0.5 }], offset: 0, hasMore: false, queryPhoto: photo, instruction: p.instruction, modelId: 'm', elapsedMs: 1 }),
  });
  return { client, app: new AppState(client) };
}

describe('Sidebar', () => {
  it('shows smart albums and updates their counts live from albums.changed events', async () => {
    const { client, app } = appState();
    await app.start();
    render(Sidebar, { app });
    await tick();
    const count = () => screen.getByTestId('album-4').querySelector('[data-testid="album-count"]')?.textContent;
    expect(count()).toBe('3');
    client.emit('albums.changed', { id: 4, count: 7 });
    flushSync();
    expect(count()).toBe('7');
  });
});

describe('SearchBar', () => {
  it('shows the chosen photo as a chip, switches to instruction mode and composes on submit', async () => {
    const { client, app } = appState();
    await app.start();
    render(SearchBar, { app });
    expect(screen.getByLabelText('Search text')).toBeTruthy();
    app.findRelated(photo);
    flushSync();
    expect(screen.getByTestId('query-chip').textContent).toContain('beach.jpg');
    const input = screen.getByLabelText('Instruction') as HTMLInputElement;
    expect(document.activeElement).toBe(input);
    await fireEvent.input(input, { target: { value: 'at sunset' } });
    await fireEvent.submit(input.form!);
    await new Promise((r) => setTimeout(r, 0));
    expect(client.calls).toContain('search.compose');
    expect(app.result?.instruction).toBe('at sunset');
    await fireEvent.click(screen.getByLabelText('Remove query photo'));
    expect(screen.queryByTestId('query-chip')).toBeNull();
  });
});

describe('HTTP transport', () => {
  it('takes the token from the page URL and removes it from the address bar', () => {
    window.history.replaceState(null, '', '/?token=abcdef0123456789abcdef');
    const c = createClient(window);
    expect(c.transport).toBe('http');
    expect(window.location.search).toBe('');
    expect(window.sessionStorage.getItem('magiclens.token')).toBe('abcdef0123456789abcdef');
    expect(c.imageUrl(5, 'thumb')).toMatch(/\/media\/thumb\/5\?token=abcdef0123456789abcdef$/);
  });
});
