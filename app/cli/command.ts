// The shape of a `magiclens` subcommand and what every command shares: the options table, the
// engine (opened on demand), output in human or --json form, and usage errors.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { dispatch, type Method, type Params, type Result } from '../api/contract.js';
import type { EngineService } from '../service.js';
import type { Api } from './remote.js';

export interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export interface CliContext {
  io: Io;
  json: boolean;
  dataDir: string;
  /** The engine for this run (watch off), opened on first call; the runner closes it. */
  service(opts?: EngineOptions): Promise<EngineService>;
  /**
   * The API for commands that need nothing but contract calls: a running bridge on this data folder
   * when one answers (no model load here), else this run's engine.
   */
  api(opts?: EngineOptions): Promise<Api>;
  /** Writes `value` as JSON with --json, else runs `human`. */
  print(value: unknown, human: () => void): void;
}

export interface Command {
  name: string;
  /** Its lines of the top-level usage, also what `magiclens NAME --help` prints. */
  usage: string;
  /** More for `--help` than the overview has room for. */
  details?: string;
  /** Replaces the default `--help` output (for commands with their own help). */
  help?(ctx: CliContext): Promise<number>;
  /** The exit code; UsageError for bad arguments (exit 2 with usage), any other error exits 1. */
  run(ctx: CliContext, args: string[]): Promise<number>;
}

export class UsageError extends Error {}

export interface EngineOptions {
  batch?: string | undefined;
  threads?: string | undefined;
}

/** One options table for every engine command, as the CLI has always accepted any of them. */
const OPTIONS = {
  photo: { type: 'string' },
  instruction: { type: 'string' },
  text: { type: 'string' },
  similar: { type: 'string' },
  limit: { type: 'string' },
  offset: { type: 'string' },
  'include-query': { type: 'boolean' },
  exclude: { type: 'string', multiple: true },
  top: { type: 'string' },
  margin: { type: 'string' },
  max: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  batch: { type: 'string' },
  threads: { type: 'string' },
} as const;

export function parseOptions(args: string[]) {
  try {
    return parseArgs({ args, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    // Unknown options, missing values: the user's mistake, not a crash.
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS_')) throw new UsageError((err as Error).message);
    throw err;
  }
}

export type Values = ReturnType<typeof parseOptions>['values'];

/** `magiclens X --help` (or -h), anywhere before a `--` terminator. */
export function wantsHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

export function intOpt(s: string | undefined, d: number): number {
  return s === undefined ? d : Number.parseInt(s, 10);
}

export function page(v: Values): { limit: number; offset: number } {
  return { limit: intOpt(v.limit, 20), offset: intOpt(v.offset, 0) };
}

/** Every call goes through the contract's dispatcher: the same validation the app gets. */
export async function call<M extends Method>(svc: EngineService, method: M, params: Params<M>): Promise<Result<M>> {
  const r = await dispatch(svc.handlers, { id: 1, method, params });
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.result as Result<M>;
}

/** A file path, or a library photo id (digits that are not also a file here). */
export function photoRef(p: string): { id: number } | { path: string } {
  if (/^\d+$/.test(p) && !fs.existsSync(p)) return { id: Number(p) };
  return { path: path.resolve(p) };
}

/**
 * A damaged library file fails the command (exit 1) with what to do, even when indexing itself ran:
 * searches on it would fail. The integrity check ran in the background while indexing.
 */
export function libraryVerdict(ctx: CliContext, h: { state: string; errors: string[] }): number {
  if (h.state !== 'damaged') return 0;
  ctx.io.err.write(`magiclens: the library file is damaged (${h.errors[0] ?? 'integrity check failed'}); searches will fail until it is repaired: run \`magiclens doctor\`\n`);
  return 1;
}
