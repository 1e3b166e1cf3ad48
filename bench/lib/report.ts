// Shared helpers for the benchmark scripts: percentiles, plain-text tables, JSON results, machine facts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  // nearest-rank on the sorted sample; good enough for tens to hundreds of timings
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx] as number;
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export type Cell = string | number | null | undefined;

function fmt(c: Cell): string {
  if (c === null || c === undefined) return '–';
  if (typeof c === 'number') {
    if (Number.isNaN(c)) return '–';
    if (!Number.isFinite(c)) return String(c);
    if (Number.isInteger(c)) return c.toLocaleString('en-US');
    const a = Math.abs(c);
    return a >= 100 ? c.toFixed(0) : a >= 10 ? c.toFixed(1) : a >= 1 ? c.toFixed(2) : c.toFixed(3);
  }
  return c;
}

/** Prints a Markdown-style table (pastes straight into bench/README.md). */
export function printTable(title: string, header: string[], rows: Cell[][], out: NodeJS.WritableStream = process.stdout): string {
  const cells = rows.map((r) => r.map(fmt));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  const text = [`\n### ${title}`, line(header), `|${widths.map((w, i) => (i === 0 ? ':' : '') + '-'.repeat(w + 1) + (i === 0 ? '' : ':')).join('|')}|`, ...cells.map(line), ''].join('\n');
  out.write(text + '\n');
  return text;
}

export function machineInfo(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** Writes bench/results/<name>-<timestamp>.json, and <name>-latest.json unless `latest` is false (partial runs). */
export function writeResults(name: string, data: unknown, opts: { latest?: boolean } = {}): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  // Paths are written relative to the checkout / temp folder: the figures are about the machine, not its layout
  const root = path.resolve(BENCH_DIR, '..');
  const body = JSON.stringify({ name, at: new Date().toISOString(), machine: machineInfo(), ...((data as object) ?? {}) }, null, 2)
    .split(root).join('<repo>').split(os.tmpdir()).join('<tmp>');
  const file = path.join(RESULTS_DIR, `${name}-${stamp}.json`);
  fs.writeFileSync(file, body);
  if (opts.latest !== false) fs.writeFileSync(path.join(RESULTS_DIR, `${name}-latest.json`), body);
  return file;
}

/** Peak resident set size of this process so far, in MiB (from getrusage: maxRSS is in KiB on Linux). */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Parses `--flag`, `--key value` and `--key=value` into a map (later wins). */
export function parseArgs(argv: string[]): Map<string, string | true> {
  const m = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) { m.set(a.slice(2, eq), a.slice(eq + 1)); continue; }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) { m.set(a.slice(2), next); i++; } else m.set(a.slice(2), true);
  }
  return m;
}
