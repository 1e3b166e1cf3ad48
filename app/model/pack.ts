// Loading a model pack: the manifest is schema-checked and every file's size and sha256 verified
// before anything is returned, so a damaged pack is reported as a whole and never half-loaded.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ManifestSchema, REQUIRED_FILES, type Manifest } from '../../models/ts/pack-manifest.js';

export class PackError extends Error {
  constructor(message: string, readonly dir?: string) {
    super(message);
    this.name = 'PackError';
  }
}

export interface ModelPack {
  dir: string;
  manifest: Manifest;
  path(name: string): string;
}

async function sha256(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 22 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

export function readManifest(dir: string): Manifest {
  const file = path.join(dir, 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new PackError(err.code === 'ENOENT' ? `model pack ${dir} has no manifest.json` : `model pack ${dir}: manifest.json is not valid JSON (${err.message})`, dir);
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PackError(`model pack ${dir}: manifest.json field ${issue.path.join('.') || '(root)'}: ${issue.message}`, dir);
  }
  const m = parsed.data;
  for (const f of [...REQUIRED_FILES, m.tokenizer.file]) {
    if (!m.files[f]) throw new PackError(`model pack ${dir}: manifest lists no sha256 for ${f}`, dir);
  }
  for (const f of Object.keys(m.files)) {
    if (f.includes('/') || f.includes('\\') || f === '..' || f === '.') throw new PackError(`model pack ${dir}: bad file name ${JSON.stringify(f)} in manifest`, dir);
  }
  for (const [variant, map] of Object.entries(m.variants ?? {})) {
    for (const f of Object.values(map)) if (!m.files[f]) throw new PackError(`model pack ${dir}: ${variant} graph ${f} has no sha256 in the manifest`, dir);
  }
  if (m.image.size !== m.architecture.imageSize) throw new PackError(`model pack ${dir}: image.size ${m.image.size} ≠ architecture.imageSize ${m.architecture.imageSize}`, dir);
  return m;
}

/** Validates manifest + sizes + sha256 of every listed file. `verifyHashes: false` only checks sizes (fast). */
export async function loadPack(dir: string, opts: { verifyHashes?: boolean } = {}): Promise<ModelPack> {
  const abs = path.resolve(dir);
  const manifest = readManifest(abs);
  for (const [name, want] of Object.entries(manifest.files)) {
    const file = path.join(abs, name);
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch {
      throw new PackError(`model pack ${abs}: file ${name} is missing`, abs);
    }
    if (size !== want.bytes) throw new PackError(`model pack ${abs}: file ${name} has ${size} bytes, manifest says ${want.bytes} (damaged or tampered)`, abs);
    if (opts.verifyHashes !== false) {
      const got = await sha256(file);
      if (got !== want.sha256) throw new PackError(`model pack ${abs}: file ${name} fails its sha256 check (damaged or tampered)`, abs);
    }
  }
  return { dir: abs, manifest, path: (name: string) => path.join(abs, name) };
}
