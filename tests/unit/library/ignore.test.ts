import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeIgnore } from '../../../app/library/ignore.js';

const root = path.resolve('/lib');
const p = (...s: string[]) => path.join(root, ...s);

describe('library ignore rules', () => {
  const ig = makeIgnore(root, ['raw/**', '*.gif', 'private']);
  it('skips hidden files and folders, temp files and non-photos', () => {
    expect(ig(p('.hidden.jpg'), 'file')).toBe(true);
    expect(ig(p('.thumbs', 'a.jpg'), 'file')).toBe(true);
    expect(ig(p('a.jpg.part'), 'file')).toBe(true);
    expect(ig(p('~$draft.jpg'), 'file')).toBe(true);
    expect(ig(p('photo.jpg~'), 'file')).toBe(true);
    expect(ig(p('notes.txt'), 'file')).toBe(true);
    expect(ig(p('a.JPG'), 'file')).toBe(false);
    expect(ig(p('sub', 'b.heic'), 'file')).toBe(false);
  });
  it('applies the user exclusion globs (basename patterns match anywhere)', () => {
    expect(ig(p('raw'), 'dir')).toBe(true);
    expect(ig(p('raw', 'x.jpg'), 'file')).toBe(true);
    expect(ig(p('trip', 'anim.gif'), 'file')).toBe(true);
    expect(ig(p('trip', 'private'), 'dir')).toBe(true);
    expect(ig(p('trip', 'x.png'), 'file')).toBe(false);
    expect(ig(p('rawhide', 'x.png'), 'file')).toBe(false);
  });
  it('never ignores the root, always ignores paths outside it', () => {
    expect(ig(root, 'dir')).toBe(false);
    expect(ig(path.resolve('/elsewhere/a.jpg'), 'file')).toBe(true);
  });
});
