// Runs in a worker thread: the int8 image tower built right after an install (app/model/int8.ts,
// buildInt8AfterInstall), off the thread that answers queries. The thread ends when it is built.
import { parentPort, workerData } from 'node:worker_threads';
import { ensureInt8Graph } from './int8.js';
import { loadPack } from './pack.js';

const job = workerData as { packDir: string; dataDir: string };
try {
  // The installer verified the pack's hashes already.
  ensureInt8Graph(await loadPack(job.packDir, { verifyHashes: false }), job.dataDir);
  parentPort!.postMessage({ type: 'done' });
} catch (err) {
  parentPort!.postMessage({ type: 'error', error: (err as Error).message });
}
