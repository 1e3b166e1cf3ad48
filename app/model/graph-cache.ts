// Optimised ONNX graphs cached per machine. ORT's 'all' graph optimisation of a base-size image tower
// takes seconds at every session open (measured: 3.4 s for image.onnx, 1.0 s for text.onnx); the
// optimised graph it can dump loads in a fraction of that with optimisation off. The dump may hold
// rewrites specific to the execution provider and the CPU it was made on (fused kernels, NCHWc
// layouts), so the cache key covers the graph's sha256, the onnxruntime version, the provider and the
// CPU's features; any change makes a new key, and a cached graph that is missing, damaged or fails to
// load is never used: the original graph is opened instead and the cache is written afresh.
// The optimised graph is saved with its weights in a separate data file beside it (ONNX external data):
// ORT maps that file into memory instead of parsing and copying the weights out of one protobuf, which
// measured (base pack, 2 cores) text.onnx 1245 → 317 ms and 277 → 177 MiB resident, image.onnx
// 855 → 560 ms and 578 → 370 MiB, the same outputs bit for bit. The CPU kernels' pre-packed weights
// (MatMul's packed layout) are saved into that file too, so an open maps them instead of re-packing:
// image.onnx 703-907 → 436-482 ms, text.onnx 420-504 → 301-306 ms, and its weights are file-backed
// pages (shared, evictable) instead of private memory (anonymous RSS 380 → 44 MiB for image.onnx);
// the cost is disk: the data file keeps the unpacked weights as well (base pack: 1.15 GB instead of 0.64).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';

/** How the graph's session was opened (for the cold-start figures and tests). */
export type GraphSource = 'cache' | 'built' | 'original';

export interface GraphKeyParts {
  /** sha256 of the original graph file (from the pack's manifest) */
  graphSha256: string;
  ortVersion: string;
  provider: string;
  cpu: string;
}

interface FileId {
  bytes: number;
  mtimeMs: number;
  sha256: string;
}

/** What the cache records beside each optimised graph: the parts of its key, the graph file's identity and its weights file's. */
interface CacheMeta extends GraphKeyParts, FileId {
  /** the external-data file the graph names (its weights); absent when the graph holds them inline */
  data?: FileId & { file: string };
  /** CACHE_FORMAT when written; absent in the first form (weights inline) */
  format?: string;
}

/** Bumped when the cached form changes: a cache of an older form is made again (and its files removed). */
const CACHE_FORMAT = 'external-data-prepacked-1';
/** Initializers at least this large go to the data file (smaller ones stay inline in the graph). */
const EXTERNAL_MIN_BYTES = 1024;

export function ortVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

/** The CPU's model and instruction-set flags: an optimised graph may use kernels only they allow. */
export function cpuFeatures(): string {
  let flags = '';
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    flags = /^(?:flags|Features)\s*:\s*(.*)$/m.exec(info)?.[1]?.trim() ?? '';
  } catch {
    /* not Linux: the model name and architecture stand in for the flags */
  }
  const model = os.cpus()[0]?.model ?? 'unknown';
  return crypto.createHash('sha256').update(`${process.arch}|${model}|${flags}`).digest('hex').slice(0, 16);
}

export function graphKey(p: GraphKeyParts): string {
  return crypto.createHash('sha256').update(JSON.stringify([p.graphSha256, p.ortVersion, p.provider, p.cpu, CACHE_FORMAT])).digest('hex').slice(0, 32);
}

async function sha256File(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 22 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

export interface GraphCacheOptions {
  /** the folder the cache lives in (inside the app's data folder) */
  dir: string;
  /** overrides for tests: a different CPU or runtime version makes a different key */
  cpu?: string;
  ortVersion?: string;
  /** optimisation level a cached graph is opened with (it is optimised already) */
  cachedLevel?: 'disabled' | 'basic';
}

export interface OpenedGraph {
  session: ort.InferenceSession;
  source: GraphSource;
  /** why a cached graph was not used, when there was one */
  rejected?: string;
}

/** The build running in this thread, if any (GraphCache.build runs them one at a time). */
let building: Promise<unknown> = Promise.resolve();

export class GraphCache {
  readonly dir: string;
  private readonly cpu: string;
  private readonly ortV: string;
  private readonly cachedLevel: 'disabled' | 'basic';

  constructor(o: GraphCacheOptions) {
    this.dir = o.dir;
    this.cpu = o.cpu ?? cpuFeatures();
    this.ortV = o.ortVersion ?? ortVersion();
    this.cachedLevel = o.cachedLevel ?? 'disabled';
  }

  keyParts(graphSha256: string, provider: string): GraphKeyParts {
    return { graphSha256, ortVersion: this.ortV, provider, cpu: this.cpu };
  }

  /** The cached graph's file for a key (it may not exist). */
  fileFor(parts: GraphKeyParts): string {
    return path.join(this.dir, `${graphKey(parts)}.onnx`);
  }

  /**
   * A session for `file` (whose manifest sha256 is `graphSha256`): from the cached optimised graph when a
   * valid one exists, else from the original with full optimisation, saving the optimised graph for next time.
   */
  async open(file: string, graphSha256: string, so: ort.InferenceSession.SessionOptions): Promise<OpenedGraph> {
    const provider = String((so.executionProviders ?? ['cpu'])[0]);
    const parts = this.keyParts(graphSha256, provider);
    const cached = this.fileFor(parts);
    const problem = this.check(cached, parts);
    if (problem === null) {
      try {
        return { session: await ort.InferenceSession.create(cached, { ...so, graphOptimizationLevel: this.cachedLevel }), source: 'cache' };
      } catch (e) {
        return this.build(file, cached, parts, so, `cached graph failed to load: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    return this.build(file, cached, parts, so, problem === 'missing' ? undefined : problem);
  }

  /** null when the cached graph exists and is the one recorded (same key parts, size and mtime). */
  private check(cached: string, parts: GraphKeyParts): string | null {
    let meta: CacheMeta;
    try {
      meta = JSON.parse(fs.readFileSync(`${cached}.json`, 'utf8')) as CacheMeta;
    } catch {
      return fs.existsSync(cached) ? 'cached graph has no readable record' : 'missing';
    }
    if (meta.graphSha256 !== parts.graphSha256 || meta.ortVersion !== parts.ortVersion || meta.provider !== parts.provider || meta.cpu !== parts.cpu) return 'cached graph was made for another graph, runtime, provider or CPU';
    let st: fs.Stats;
    try {
      st = fs.statSync(cached);
    } catch {
      return 'cached graph file is missing';
    }
    if (st.size !== meta.bytes || st.mtimeMs !== meta.mtimeMs) return 'cached graph changed since it was written (damaged)';
    if (!meta.data) return null;
    try {
      const d = fs.statSync(path.join(this.dir, meta.data.file));
      if (d.size !== meta.data.bytes || d.mtimeMs !== meta.data.mtimeMs) return 'cached graph weights changed since they were written (damaged)';
    } catch {
      return 'cached graph weights file is missing (damaged)';
    }
    return null;
  }

  /**
   * Opens the original graph with full optimisation, dumping the optimised form (graph to a temp file,
   * weights to a data file under its final, unique name: the graph refers to it by name), then moves the
   * graph into place. Builds run one at a time (in this thread), and the session that built the cache is
   * released and the cached form opened instead: the build holds the original graph and its optimised
   * copy at once, and its freed memory is then reused by the cached session rather than added to it
   * (base pack, all three graphs: 943 MiB resident instead of 1,252, peak 961 instead of 1,270).
   */
  private build(file: string, cached: string, parts: GraphKeyParts, so: ort.InferenceSession.SessionOptions, rejected?: string): Promise<OpenedGraph> {
    const run = building.then(() => this.buildNow(file, cached, parts, so, rejected));
    building = run.catch(() => {});
    return run;
  }

  private async buildNow(file: string, cached: string, parts: GraphKeyParts, so: ort.InferenceSession.SessionOptions, rejected?: string): Promise<OpenedGraph> {
    this.remove(cached);
    this.removeSuperseded(parts);
    let tmp: { graph: string; data: string } | null;
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      const tag = `${process.pid}-${crypto.randomBytes(6).toString('hex')}`;
      tmp = { graph: path.join(this.dir, `.tmp-${tag}.onnx`), data: `${path.basename(cached, '.onnx')}-${tag}.data` };
    } catch {
      tmp = null; // an unwritable data folder: run without the cache
    }
    // ORT warns that the dump may hold hardware-specific rewrites: expected, the key covers the CPU and provider.
    const dump = tmp ? {
      optimizedModelFilePath: tmp.graph, logSeverityLevel: Math.max(3, so.logSeverityLevel ?? 0) as 3 | 4,
      extra: { ...so.extra, session: { ...(so.extra as { session?: object } | undefined)?.session, optimized_model_external_initializers_file_name: tmp.data, optimized_model_external_initializers_min_size_in_bytes: String(EXTERNAL_MIN_BYTES), save_external_prepacked_constant_initializers: '1' } },
    } : {};
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(file, { ...so, graphOptimizationLevel: 'all', ...dump });
    } catch (e) {
      if (!tmp) throw e;
      // A GPU provider may refuse to write its partitioned graph; then it runs uncached rather than not at
      // all (a provider that cannot run the graph fails again here, and the runtime falls back).
      this.discard(tmp);
      const session = await ort.InferenceSession.create(file, { ...so, graphOptimizationLevel: 'all' });
      return { session, source: 'original', rejected: `optimised graph could not be saved: ${(e as Error).message.split('\n')[0]}` };
    }
    if (!tmp) return { session, source: 'original', ...(rejected ? { rejected } : {}) };
    try {
      await this.commit(tmp, cached, parts);
    } catch {
      this.discard(tmp);
      return { session, source: 'original', ...(rejected ? { rejected } : {}) };
    }
    await session.release(); // first: never hold the build and the cached session at once
    try {
      return { session: await ort.InferenceSession.create(cached, { ...so, graphOptimizationLevel: this.cachedLevel }), source: 'built', ...(rejected ? { rejected } : {}) };
    } catch (e) {
      this.remove(cached);
      const reason = `cached graph failed to load right after it was built: ${(e as Error).message.split('\n')[0]}`;
      return { session: await ort.InferenceSession.create(file, { ...so, graphOptimizationLevel: 'all' }), source: 'original', rejected: reason };
    }
  }

  /** Removes a build's temp graph and its weights file (a build that will not be committed). */
  private discard(tmp: { graph: string; data: string }): void {
    fs.rmSync(tmp.graph, { force: true });
    this.rmQuiet(path.join(this.dir, tmp.data));
  }

  /** Atomic: the graph is renamed into place first, then its record; a graph without a record is never used. */
  private async commit(tmp: { graph: string; data: string }, cached: string, parts: GraphKeyParts): Promise<void> {
    const dataPath = path.join(this.dir, tmp.data);
    const hasData = fs.existsSync(dataPath); // a graph with no initializer over the threshold writes none
    for (const f of hasData ? [tmp.graph, dataPath] : [tmp.graph]) {
      const fd = fs.openSync(f, 'r');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    const sha256 = await sha256File(tmp.graph);
    const data = hasData ? { file: tmp.data, ...identity(dataPath), sha256: await sha256File(dataPath) } : undefined;
    fs.renameSync(tmp.graph, cached);
    const meta: CacheMeta = { ...parts, ...identity(cached), sha256, ...(data ? { data } : {}), format: CACHE_FORMAT };
    const tmpMeta = `${cached}.json.tmp-${process.pid}`;
    fs.writeFileSync(tmpMeta, JSON.stringify(meta) + '\n');
    fs.renameSync(tmpMeta, `${cached}.json`);
  }

  private readMeta(cached: string): CacheMeta | null {
    try {
      return JSON.parse(fs.readFileSync(`${cached}.json`, 'utf8')) as CacheMeta;
    } catch {
      return null;
    }
  }

  /** A data file may still be mapped by a session (Windows refuses to delete it then): left for the next clean-up. */
  private rmQuiet(file: string): void {
    try {
      fs.rmSync(file, { force: true });
    } catch {
      /* in use */
    }
  }

  private remove(cached: string): void {
    const meta = this.readMeta(cached);
    fs.rmSync(`${cached}.json`, { force: true });
    fs.rmSync(cached, { force: true });
    if (meta?.data?.file) this.rmQuiet(path.join(this.dir, path.basename(meta.data.file)));
  }

  /**
   * The same graph cached for this runtime, provider and CPU in an older cache form will never be used
   * again: its files go (another runtime version's entry stays: two app versions may share the folder).
   */
  private removeSuperseded(parts: GraphKeyParts): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    const mine = path.basename(this.fileFor(parts));
    for (const f of names) {
      if (!f.endsWith('.onnx') || f.startsWith('.') || f === mine) continue;
      const meta = this.readMeta(path.join(this.dir, f));
      if (meta && meta.format !== CACHE_FORMAT && meta.graphSha256 === parts.graphSha256 && meta.ortVersion === parts.ortVersion && meta.provider === parts.provider && meta.cpu === parts.cpu) this.remove(path.join(this.dir, f));
    }
  }

  /** Full check of every cached graph (and its weights) against the recorded sha256 (`model verify`); damaged ones are removed. */
  async verifyAll(): Promise<{ checked: number; removed: number }> {
    let checked = 0, removed = 0;
    if (!fs.existsSync(this.dir)) return { checked, removed };
    for (const f of fs.readdirSync(this.dir)) {
      if (!f.endsWith('.onnx') || f.startsWith('.')) continue;
      const cached = path.join(this.dir, f);
      checked++;
      let ok: boolean;
      try {
        const meta = JSON.parse(fs.readFileSync(`${cached}.json`, 'utf8')) as CacheMeta;
        ok = (await sha256File(cached)) === meta.sha256 && (!meta.data || (await sha256File(path.join(this.dir, path.basename(meta.data.file)))) === meta.data.sha256);
      } catch {
        ok = false;
      }
      if (!ok) { this.remove(cached); removed++; }
    }
    return { checked, removed };
  }
}

function identity(file: string): { bytes: number; mtimeMs: number } {
  const st = fs.statSync(file);
  return { bytes: st.size, mtimeMs: st.mtimeMs };
}

/** Where the app keeps its optimised graphs. */
export function graphCacheDir(dataDir: string): string {
  return path.join(dataDir, 'graph-cache');
}
