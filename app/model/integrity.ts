// Verified stamps: a pack's files are hashed in full once (at install, or the first time this data folder
// loads the pack, or on `magiclens model verify`), and the size, modification time and verified sha256 of
// each file are recorded in the data folder. Later loads compare size and mtime with the stamp instead of
// re-hashing ~640 MB (0.8 s for a base pack at every start). A file whose size or mtime differs from its
// stamp was changed after it was verified: the pack is hashed in full again before it is used, and refused
// when a sha256 no longer matches. A pack with no stamp is never trusted without the full hash.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Manifest } from '../../models/ts/pack-manifest.js';

interface StampedFile {
  bytes: number;
  mtimeMs: number;
  sha256: string;
}

interface Stamp {
  dir: string;
  verifiedAt: string;
  files: Record<string, StampedFile>;
}

export type StampState = { state: 'verified' } | { state: 'unverified' } | { state: 'changed'; file: string };

function stampPath(stampsDir: string, packDir: string): string {
  return path.join(stampsDir, `${crypto.createHash('sha256').update(path.resolve(packDir)).digest('hex').slice(0, 24)}.json`);
}

function manifestSha(packDir: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(path.join(packDir, 'manifest.json'))).digest('hex');
}

/** Records the pack as verified; call only right after every file's sha256 matched the manifest. */
export function writeStamp(stampsDir: string, packDir: string, manifest: Manifest): void {
  const files: Record<string, StampedFile> = {};
  for (const [name, f] of Object.entries(manifest.files)) {
    const st = fs.statSync(path.join(packDir, name));
    files[name] = { bytes: st.size, mtimeMs: st.mtimeMs, sha256: f.sha256 };
  }
  const mst = fs.statSync(path.join(packDir, 'manifest.json'));
  files['manifest.json'] = { bytes: mst.size, mtimeMs: mst.mtimeMs, sha256: manifestSha(packDir) };
  const stamp: Stamp = { dir: path.resolve(packDir), verifiedAt: new Date().toISOString(), files };
  fs.mkdirSync(stampsDir, { recursive: true });
  const file = stampPath(stampsDir, packDir);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(stamp) + '\n');
  fs.renameSync(tmp, file);
}

export function removeStamp(stampsDir: string, packDir: string): void {
  fs.rmSync(stampPath(stampsDir, packDir), { force: true });
}

function readStamp(stampsDir: string, packDir: string): Stamp | null {
  try {
    const s = JSON.parse(fs.readFileSync(stampPath(stampsDir, packDir), 'utf8')) as Stamp;
    return s.dir === path.resolve(packDir) && s.files && typeof s.files === 'object' ? s : null;
  } catch {
    return null;
  }
}

/** Compares the pack's files (those the manifest lists, and the manifest itself) with its stamp: stat only. */
export function checkStamp(stampsDir: string, packDir: string, manifest: Manifest): StampState {
  const stamp = readStamp(stampsDir, packDir);
  if (!stamp) return { state: 'unverified' };
  const same = (name: string, sha: string | null): boolean => {
    const s = stamp.files[name];
    if (!s || (sha !== null && s.sha256 !== sha)) return false;
    try {
      const st = fs.statSync(path.join(packDir, name));
      return st.size === s.bytes && st.mtimeMs === s.mtimeMs;
    } catch {
      return false;
    }
  };
  // The manifest first: if it changed, its sha256 list may no longer be the one that was verified.
  if (!same('manifest.json', null)) return { state: 'changed', file: 'manifest.json' };
  for (const [name, f] of Object.entries(manifest.files)) if (!same(name, f.sha256)) return { state: 'changed', file: name };
  return { state: 'verified' };
}
