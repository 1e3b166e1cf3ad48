// `magiclens model install|list|verify|activate|remove` (app/cli.ts delegates here).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sharedDir } from '../paths.js';
import { catalogueInfos, DRIVE_HINT } from './catalogue.js';
import { isUrl } from './download.js';
import { CATALOGUE, DEFAULT_CHECKPOINT_URL, DEFAULT_VOCAB_URL, installOfficialModel, type InstallProgress } from './install.js';
import { GraphCache, graphCacheDir } from './graph-cache.js';
import { loadPack } from './pack.js';
import { ModelRegistry } from './registry.js';
import { formatVerifyTable, verifyAgainstGolden } from './verify.js';
import { PROVIDER_NAMES, type ProviderName } from './runtime.js';

export interface ModelCommandIO {
  dataDir: string;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  json: boolean;
}

const USAGE = `usage: magiclens model <command>
  catalogue          the official models: download size, licence, RAM and disk, expected speed here
  install [base|large|PATH] [--checkpoint base|large|URL|PATH] [--vocab clip|URL|PATH] [--name NAME] [--id ID] [--preprocessing squash|center-crop] [--fp16]
          defaults: base = ${DEFAULT_CHECKPOINT_URL}
                    clip = the CLIP vocabulary bundled with the app (else ${DEFAULT_VOCAB_URL})
          if the download fails: get the .pkl from ${DRIVE_HINT} and give its path
          URLs must be https (plain http only on this computer); the downloaded file's name is set by the app
  list
  verify [--golden DIR] [--provider cuda|dml|coreml|webgpu|cpu] [--id ID]
          with --golden: convert the golden tiny checkpoint and compare every quantity with the official outputs;
          without: check the sha256 of every file of the pack (default: the active pack)
  activate ID
  remove ID
`;

function gb(n: number): string {
  return `${(n / 1e9).toFixed(1)} GB`;
}

function mib(n: number): string {
  return `${(n / 2 ** 20).toFixed(1)} MiB`;
}

/** On the command line a relative path is the user's own choice: it is taken from the current folder. */
function cliInput(v: string | undefined, kind: 'checkpoint' | 'vocab', dflt: string): string {
  if (v === undefined) return dflt;
  if (Object.prototype.hasOwnProperty.call(CATALOGUE[kind], v) || isUrl(v) || path.isAbsolute(v) || /^[\\/]{2}/.test(v)) return v;
  return path.resolve(v);
}

function progressPrinter(err: NodeJS.WritableStream): (p: InstallProgress) => void {
  let last = '';
  let lastT = 0;
  return (p) => {
    const now = Date.now();
    const pct = p.total > 0 ? ` ${Math.floor((100 * p.done) / p.total)}%` : '';
    const rate = p.ratePerSec ? `, ${mib(p.ratePerSec)}/s${p.etaSec != null ? `, about ${Math.ceil(p.etaSec)} s left` : ''}` : '';
    const sizes = p.phase.startsWith('download') ? ` (${mib(p.done)}${p.total ? ` of ${mib(p.total)}` : ''}${rate})` : '';
    const line = `${p.phase}${pct}${sizes}${p.message ? ` ${p.message}` : ''}`;
    if (line !== last && (now - lastT > 500 || p.done === p.total || !p.phase.startsWith('download'))) {
      err.write(line + '\n');
      last = line;
      lastT = now;
    }
  };
}

async function installCommand(rest: string[], io: ModelCommandIO, emit: (obj: unknown, text: string) => void): Promise<void> {
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { checkpoint: { type: 'string' }, vocab: { type: 'string' }, name: { type: 'string' }, id: { type: 'string' }, preprocessing: { type: 'string' }, fp16: { type: 'boolean' } } });
  // `model install base|large|PATH` is the short form of --checkpoint
  values.checkpoint ??= positionals[0];
  const pre = values.preprocessing;
  if (pre !== undefined && pre !== 'squash' && pre !== 'center-crop') throw new Error('--preprocessing must be squash or center-crop');
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  try {
    const s = await installOfficialModel({
      dataDir: io.dataDir,
      checkpoint: cliInput(values.checkpoint, 'checkpoint', 'base'),
      vocab: cliInput(values.vocab, 'vocab', 'clip'),
      name: values.name, id: values.id, preprocessing: pre, fp16: values.fp16 ?? false,
      onProgress: io.json ? undefined : progressPrinter(io.err),
      signal: ac.signal,
    });
    emit(s, `installed ${s.id} (${s.name}): ${mib(s.bytes)}, dim ${s.embedDim}, image ${s.imageSize}px, runs on ${s.provider}, ${s.seconds.toFixed(1)} s\n`);
  } finally {
    process.off('SIGINT', onSig);
  }
}

export async function runModelCommand(args: string[], io: ModelCommandIO): Promise<number> {
  const [cmd, ...rest] = args;
  const registry = new ModelRegistry(io.dataDir);
  const emit = (obj: unknown, text: string) => io.out.write(io.json ? JSON.stringify(obj) + '\n' : text);
  try {
    switch (cmd) {
      case 'install':
        await installCommand(rest, io, emit);
        return 0;
      case 'catalogue': {
        const entries = catalogueInfos(new Set(registry.list().filter((p) => !p.error).map((p) => p.id)));
        emit(entries, entries.map((e) => `${e.id.padEnd(6)} ${e.name} (${e.backbone})${e.installed ? ' [installed]' : ''}\n  download ${gb(e.downloadBytes)}, needs ${gb(e.ramBytes)} RAM and ${gb(e.diskBytes)} free disk; ${e.licence}\n  about ${e.imagesPerSec.toFixed(1)} photos/s here (${e.speedBasis})\n`).join(''));
        return 0;
      }
      case 'list': {
        const active = registry.active();
        const packs = registry.list();
        emit(packs.map(({ manifest, ...p }) => ({ ...p, active: p.id === active, embedDim: manifest?.architecture.embedDim })),
          packs.length === 0 ? 'no model packs installed\n' : packs.map((p) => `${p.id === active ? '*' : ' '} ${p.id.padEnd(28)} ${p.name}${p.demo ? ' [demo]' : ''}${p.bundled ? ' (bundled)' : ''}${p.error ? `  BROKEN: ${p.error}` : ''}\n`).join(''));
        return 0;
      }
      case 'verify': {
        const { values } = parseArgs({ args: rest, options: { golden: { type: 'string' }, provider: { type: 'string' }, id: { type: 'string' } } });
        if (values.golden !== undefined) {
          const dir = values.golden === '' ? path.join(sharedDir(), 'reference', 'magiclens') : values.golden;
          const provider = values.provider as ProviderName | undefined;
          if (provider !== undefined && !PROVIDER_NAMES.includes(provider)) throw new Error(`--provider must be one of ${PROVIDER_NAMES.join(', ')}`);
          const providers = provider ? [provider] : undefined;
          const r = await verifyAgainstGolden(dir, { providers });
          emit(r, formatVerifyTable(r));
          return r.ok ? 0 : 1;
        }
        const id = values.id ?? registry.active();
        if (!id) throw new Error('no model pack installed');
        const p = await registry.verify(id);
        // the optimised graphs too: a damaged one is removed (and rebuilt from the pack on next use)
        const graphs = await new GraphCache({ dir: graphCacheDir(io.dataDir) }).verifyAll();
        emit({ id, ok: true, dir: p.dir, cachedGraphs: graphs }, `${id}: manifest and sha256 of ${Object.keys(p.manifest.files).length} files ok; ${graphs.checked} cached optimised graphs checked, ${graphs.removed} damaged removed\n`);
        return 0;
      }
      case 'activate': {
        if (!rest[0]) throw new Error('model activate needs a pack id');
        await registry.get(rest[0]);
        registry.setActive(rest[0]);
        emit({ active: rest[0] }, `active model: ${rest[0]}\n`);
        return 0;
      }
      case 'remove': {
        if (!rest[0]) throw new Error('model remove needs a pack id');
        registry.remove(rest[0]);
        emit({ removed: rest[0] }, `removed ${rest[0]}\n`);
        return 0;
      }
      case 'inspect': {
        const p = await loadPack(rest[0] ?? '.');
        emit(p.manifest, JSON.stringify(p.manifest, null, 2) + '\n');
        return 0;
      }
      default:
        io.err.write(USAGE);
        return cmd === undefined || cmd === 'help' || cmd === '--help' ? 0 : 2;
    }
  } catch (e) {
    if (io.json) io.out.write(JSON.stringify({ error: (e as Error).message }) + '\n');
    io.err.write(`error: ${(e as Error).message}\n`);
    return 1;
  }
}
