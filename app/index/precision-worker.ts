// Runs in a one-shot worker thread: the int8 image tower's build (one synchronous quantiser run, ~2.5 s
// for a base pack) and its fidelity self-check (two image-tower sessions, 64 photos: ~25 s for a base
// pack), so the service's thread keeps answering queries meanwhile (app/index/precision.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { ensureInt8Graph } from '../model/int8.js';
import { loadPack } from '../model/pack.js';
import { readSelfCheck, runSelfCheck } from '../model/selfcheck.js';
import type { Int8Job } from './precision.js';

const port = parentPort!;
const job = workerData as Int8Job;

let stage: 'build' | 'check' = 'build';
try {
  // The main thread verified the pack's hashes already when it loaded it.
  const pack = await loadPack(job.packDir, { verifyHashes: false });
  const graph = ensureInt8Graph(pack, job.dataDir, job.quantize);
  stage = 'check';
  const check = job.check ? readSelfCheck(job.dataDir, graph) ?? await runSelfCheck(pack, graph, job.check.files, job.dataDir, { threads: job.check.threads }) : null;
  port.postMessage({ type: 'done', graph, check });
} catch (err) {
  port.postMessage({ type: 'error', stage, error: (err as Error).message });
}
