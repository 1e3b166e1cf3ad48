// Recent searches on a real SQLite library: newest first, unique, capped, kept across reopen,
// dropped when their photo leaves the library; bad keys are refused by the contract's schema.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { methods } from '../../../app/api/schemas.js';
import { MAX_RECENT, RecentSearches } from '../../../app/service/handlers/recent-searches.js';
import { openDatabase } from '../../../app/store/db.js';
import { PhotoRepo } from '../../../app/store/photos.js';
import { SettingsRepo } from '../../../app/store/settings.js';
import { tempDir } from '../../helpers/engine.js';

const root = tempDir('ml-recent-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function open(file: string) {
  const db = openDatabase(file);
  let t = 1000;
  return { db, recent: new RecentSearches(new SettingsRepo(db), new PhotoRepo(db), () => ++t) };
}

describe('recent searches', () => {
  const file = path.join(root, 'library.db');

  it('keeps them newest first, unique, capped, and across a reopen', () => {
    const { db, recent } = open(file);
    db.prepare(`INSERT INTO folders (id, path, exclude_json, added_at) VALUES (1, '/photos', '[]', 1)`).run();
    db.prepare(`INSERT INTO photos (id, path, folder_id, hash, size, status, added_at, updated_at) VALUES (7, '/photos/a.jpg', 1, 'h7', 10, 'indexed', 1, 1)`).run();
    recent.remember({ kind: 'text', photoId: null, text: 'red car' });
    recent.remember({ kind: 'compose', photoId: 7, text: 'at night' });
    const after = recent.remember({ kind: 'text', photoId: null, text: 'red car' });
    expect(after.map((r) => r.text)).toEqual(['red car', 'at night']);
    expect(after[1]!.photo?.name).toBe('a.jpg');
    for (let i = 0; i < MAX_RECENT + 5; i++) recent.remember({ kind: 'text', photoId: null, text: `q${i}` });
    expect(recent.list()).toHaveLength(MAX_RECENT);
    expect(recent.list()[0]!.text).toBe(`q${MAX_RECENT + 4}`);
    db.close();
    const again = open(file);
    expect(again.recent.list()).toHaveLength(MAX_RECENT);
    again.db.close();
  });

  it('forgets one, drops searches whose photo is gone, and clears all', () => {
    const { db, recent } = open(file);
    recent.forget();
    recent.remember({ kind: 'compose', photoId: 7, text: 'at night' });
    recent.remember({ kind: 'similar', photoId: 7, text: '' });
    recent.remember({ kind: 'text', photoId: null, text: 'dog' });
    expect(recent.forget({ kind: 'similar', photoId: 7, text: '' }).map((r) => r.kind)).toEqual(['text', 'compose']);
    db.prepare('DELETE FROM photos WHERE id = 7').run();
    expect(recent.list().map((r) => r.text)).toEqual(['dog']);
    expect(recent.forget()).toEqual([]);
    db.close();
  });

  it('a stored value that is not a list reads as no history', () => {
    const { db, recent } = open(file);
    new SettingsRepo(db).set('recentSearches', { not: 'a list' });
    expect(recent.list()).toEqual([]);
    db.close();
  });

  it('refuses keys that do not describe a search', () => {
    const key = methods['search.remember'].params;
    expect(key.safeParse({ kind: 'compose', text: 'x' }).success).toBe(false);
    expect(key.safeParse({ kind: 'text', photoId: 3, text: 'x' }).success).toBe(false);
    expect(key.safeParse({ kind: 'text', text: '   ' }).success).toBe(false);
    expect(key.safeParse({ kind: 'text', text: 'x', path: '/etc/passwd' }).success).toBe(false);
    expect(key.parse({ kind: 'text', text: ' dog ' })).toEqual({ kind: 'text', photoId: null, text: 'dog' });
  });
});
