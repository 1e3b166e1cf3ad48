// `magiclens index DIR`: add a folder to the library (or rescan a known one) and index it,
// with a progress line on stderr about once a second.
import fs from 'node:fs';
import path from 'node:path';
import type { Result } from '../api/contract.js';
import type { EngineService } from '../service.js';
import { call, libraryVerdict, parseOptions, UsageError, type CliContext, type Command } from './command.js';

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Prints index.progress events until the returned function is called. */
function followProgress(ctx: CliContext, svc: EngineService): () => void {
  let lastLine = 0;
  let lastText = '';
  return svc.onEvent((e) => {
    if (e.event !== 'index.progress') return;
    const p = e.data as Result<'index.progress'>;
    const now = Date.now();
    if (now - lastLine < 1000 && p.state === 'indexing') return;
    lastLine = now;
    if (ctx.json) ctx.io.err.write(JSON.stringify({ progress: p }) + '\n');
    else if (p.total > 0) {
      const finished = p.done + p.failed >= p.total;
      const eta = finished ? 'done' : `ETA ${p.etaSec === null ? '?' : fmtDuration(p.etaSec)}`;
      const line = `indexed ${p.done + p.failed}/${p.total}  ${p.ratePerSec.toFixed(1)} photos/s  ${eta}  ${p.failed ? `${p.failed} failed  ` : ''}${p.current && !finished ? path.basename(p.current) : ''}`.trimEnd();
      // The last batch and the idle transition both report the same totals: print them once.
      if (line !== lastText) ctx.io.err.write(line + '\n');
      lastText = line;
    }
  });
}

interface FolderCounts {
  n: number;
  ok: number | null;
  bad: number | null;
  pend: number | null;
}

function folderCounts(svc: EngineService, folderId: number): FolderCounts {
  return svc.db.prepare(`SELECT count(*) AS n, sum(status = 'indexed') AS ok, sum(status = 'error') AS bad, sum(status = 'pending') AS pend FROM photos WHERE folder_id = ?`).get(folderId) as FolderCounts;
}

/** The --json output of `index`. */
interface IndexSummary {
  folder: string;
  photos: number;
  indexed: number;
  errors: number;
  pending: number;
  processedThisRun: number;
  scanSeconds: number;
  indexSeconds: number;
  photosPerSecond: number;
}

function printSummary(ctx: CliContext, summary: IndexSummary): void {
  ctx.print(summary, () => {
    const out = ctx.io.out;
    out.write(`${summary.folder}: ${summary.photos} photos, ${summary.indexed} indexed, ${summary.errors} errors, ${summary.pending} pending\n`);
    out.write(`scan ${summary.scanSeconds.toFixed(1)} s; indexed ${summary.processedThisRun} photos in ${summary.indexSeconds.toFixed(1)} s = ${summary.photosPerSecond.toFixed(1)} photos/s\n`);
    if (summary.errors > 0) out.write(`see the reasons with: magiclens errors\n`);
    if (summary.pending > 0) out.write(`(pending photos need a model pack: magiclens model list)\n`);
  });
}

export const indexCommand: Command = {
  name: 'index',
  usage: '  index DIR [--exclude GLOB]...        add DIR to the library (remembered), scan and index it',
  async run(ctx, args) {
    const { values: v, positionals } = parseOptions(args);
    const dir = positionals[0];
    if (!dir) throw new UsageError('index needs a folder: magiclens index DIR');
    const svc = await ctx.service(v);
    const t0 = performance.now();
    const known = (await call(svc, 'folders.list', {})).find((f) => f.path === fs.realpathSync(path.resolve(dir)));
    const folder = await call(svc, 'folders.add', { path: path.resolve(dir), exclude: v.exclude ?? [] });
    // A newly added folder is scanned by the service already; a known one is rescanned here.
    if (known) await svc.scan([folder.id]);
    else await svc.scansIdle();
    const tScan = performance.now();
    const before = svc.db.prepare(`SELECT count(*) AS n FROM photos WHERE status != 'pending' AND folder_id = ?`).get(folder.id) as { n: number };
    const unsub = followProgress(ctx, svc);
    await svc.whenIdle();
    unsub();
    const secs = (performance.now() - tScan) / 1000;
    const counts = folderCounts(svc, folder.id);
    const processed = counts.n - (counts.pend ?? 0) - before.n;
    printSummary(ctx, {
      folder: folder.path,
      photos: counts.n,
      indexed: counts.ok ?? 0,
      errors: counts.bad ?? 0,
      pending: counts.pend ?? 0,
      processedThisRun: processed,
      scanSeconds: (tScan - t0) / 1000,
      indexSeconds: secs,
      photosPerSecond: processed > 0 && secs > 0 ? processed / secs : 0,
    });
    return libraryVerdict(ctx, await svc.libraryHealth());
  },
};
