// Runs in a worker thread: the bulk lane's ORT sessions. onnxruntime-node's session.run executes
// synchronously on the calling thread, so an image batch run on the service's main thread would
// stall every interactive query for the whole batch (measured: 5.6 s event-loop stall for a
// base-size batch of 8). Here it blocks only this thread.
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { loadPack } from '../model/pack.js';
import path from 'node:path';
import { probeImageBatch, probeImageThreads, probeKey, threadProbeKey } from './batch-probe.js';
import { MagicLensRuntime, type ProviderName, type RuntimeOptions } from '../model/runtime.js';

interface Init {
  packDir: string;
  threads: number;
  providers: ProviderName[];
  lowPriority?: boolean;
  graphCacheDir?: string;
  imageGraph?: RuntimeOptions['imageGraph'];
  imageBatch?: number;
  probeFile?: string;
  /** a pool member: run with `threads` as given, measure only the batch (app/index/lane-pool.ts) */
  fixedThreads?: boolean;
  emptyText?: Float32Array;
}

const port = parentPort!;
const init = workerData as Init;

// Linux keeps a nice value per thread, and threads inherit it when created: lowering this
// thread's priority before ORT builds its thread pool puts all bulk inference below interactive
// queries in the scheduler (a query preempts a running batch instead of sharing cores with it).
// Elsewhere setpriority(0) would lower the whole process, queries included, so only on Linux.
if (process.platform === 'linux' && init.lowPriority !== false) {
  try {
    os.setPriority(0, 10);
  } catch {
    /* not permitted: run at normal priority */
  }
}

try {
  // The main thread verified the pack's hashes already when it loaded it.
  const pack = await loadPack(init.packDir, { verifyHashes: false });
  // The image tower at once: this lane exists to run it.
  const base: RuntimeOptions = { providers: init.providers, imageTower: 'eager', ...(init.graphCacheDir ? { graphCacheDir: init.graphCacheDir } : {}), ...(init.imageGraph ? { imageGraph: init.imageGraph } : {}), ...(init.imageBatch ? { imageBatch: init.imageBatch } : {}), ...(init.emptyText ? { emptyText: init.emptyText } : {}) };
  const graphSha = init.imageGraph?.sha256 ?? pack.manifest.files['image.onnx']?.sha256 ?? '';
  const probing = Boolean(init.probeFile && !init.imageBatch);
  // Threads, then the batch, by measurement on this machine (cached in the data folder), unless a batch was given.
  // The probe's runtimes run images only: a zero e_text("") spares them the text tower.
  const threads = probing && !init.fixedThreads
    ? (await probeImageThreads((t) => MagicLensRuntime.open(pack, { ...base, threads: t, warmup: false, emptyText: init.emptyText ?? new Float32Array(pack.manifest.architecture.embedDim) }), path.join(path.dirname(init.probeFile!), 'thread-probe.json'), threadProbeKey(init.providers.join(','), init.imageGraph ? 'int8' : 'fp32', graphSha, init.threads), init.threads)).threads
    : init.threads;
  const rt = await MagicLensRuntime.open(pack, { ...base, threads });
  if (probing) await probeImageBatch(rt, init.probeFile!, probeKey(rt, graphSha, threads));
  // One message at a time: an idle release must never free the image tower under a running batch.
  let chain: Promise<unknown> = Promise.resolve();
  port.on('message', (m: { id: number; pixels?: Float32Array; n?: number; close?: boolean; op?: 'idle' | 'wake' }) => {
    if (m.close) {
      chain = chain.then(() => rt.close()).finally(() => port.postMessage({ type: 'closed' }));
      return;
    }
    chain = chain.then(async () => {
      try {
        if (m.op === 'idle') return port.postMessage({ type: 'result', id: m.id, done: await rt.releaseImage() });
        if (m.op === 'wake') return port.postMessage({ type: 'result', id: m.id, done: await rt.openImage() });
        const clip = await rt.embedImages(m.pixels!, m.n!);
        const target = await rt.targetEmbeddings(clip, m.n!);
        port.postMessage({ type: 'result', id: m.id, clip, target }, [clip.buffer as ArrayBuffer, target.buffer as ArrayBuffer]);
      } catch (err) {
        port.postMessage({ type: 'result', id: m.id, error: (err as Error).message });
      }
    });
  });
  // the batch it runs: the other members of a pool take the first member's (app/index/lane-pool.ts)
  port.postMessage({ type: 'ready', modelId: rt.modelId, dim: rt.dim, provider: rt.provider, batch: rt.imageBatch });
} catch (err) {
  port.postMessage({ type: 'fatal', error: (err as Error).message });
}
