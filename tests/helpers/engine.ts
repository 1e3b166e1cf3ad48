// Shared helpers for engine tests: temp folders, real image files generated with sharp, a data
// dir with the tiny model pack installed, polling.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { ModelRegistry } from '../../app/model/registry.js';
import { createService, type EngineService, type ServiceOptions } from '../../app/service.js';
import { tinyPackDir } from './tiny-pack.js';

export function tempDir(prefix = 'ml-engine-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Deterministic pseudo-random bytes (mulberry32), so every generated photo has distinct content. */
export function noise(seed: number, n: number): Buffer {
  let a = seed >>> 0 || 1;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 255;
  }
  return out;
}

export type Fmt = 'jpeg' | 'png' | 'webp' | 'avif' | 'tiff' | 'gif';

/** A real image file with content determined by `seed` (a blurred noise field, photo-like). */
export async function writePhoto(file: string, seed: number, opts: { fmt?: Fmt; width?: number; height?: number } = {}): Promise<string> {
  const w = opts.width ?? 48;
  const h = opts.height ?? 40;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const img = sharp(noise(seed, w * h * 3), { raw: { width: w, height: h, channels: 3 } });
  const fmt = opts.fmt ?? 'jpeg';
  const data = await (fmt === 'jpeg' ? img.jpeg({ quality: 90 }) : fmt === 'png' ? img.png() : fmt === 'webp' ? img.webp() : fmt === 'avif' ? img.avif() : fmt === 'tiff' ? img.tiff() : img.gif()).toBuffer();
  fs.writeFileSync(file, data);
  return file;
}

/** A PNG whose header claims width×height; the pixel data is tiny (a bomb that costs nothing). */
export async function forgedPng(file: string, width: number, height: number): Promise<void> {
  const png = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } }).png().toBuffer();
  // IHDR: 8-byte signature, 4 length, 'IHDR', then width, height (big-endian), ..., CRC over type+data.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(zlib.crc32(png.subarray(12, 29)) >>> 0, 29);
  fs.writeFileSync(file, png);
}

/** A data dir with the tiny (random-weight) pack installed; null when shared data is absent. */
export async function dataDirWithTinyPack(root: string): Promise<string | null> {
  const pack = await tinyPackDir();
  if (!pack) return null;
  const dataDir = path.join(root, 'data');
  await new ModelRegistry(dataDir, emptyBundledDir(root)).install(pack);
  return dataDir;
}

export function emptyBundledDir(root: string): string {
  const d = path.join(root, 'no-bundled-packs');
  fs.mkdirSync(d, { recursive: true });
  return d;
}

export async function tinyService(root: string, opts: Partial<ServiceOptions> = {}): Promise<EngineService | null> {
  const dataDir = fs.existsSync(path.join(root, 'data', 'models')) ? path.join(root, 'data') : await dataDirWithTinyPack(root);
  if (!dataDir) return null;
  return createService({ dataDir, bundledPacksDir: emptyBundledDir(root), watch: false, threads: 1, ...opts });
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export const SKIP_NO_SHARED = 'shared data (tiny reference checkpoint) not found: set MAGICLENS_SHARED';
