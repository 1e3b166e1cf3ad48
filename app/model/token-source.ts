// Where the interactive lane's token ids come from. Building the CLIP tokenizer (49k merges into
// @huggingface/tokenizers' maps) takes ~0.25 s, and onnxruntime-node opens sessions synchronously on
// the calling thread, so on one thread the two add up before the first query can be answered. Here the
// tokenizer is built in a worker thread while this thread opens the sessions, and the worker answers
// encode requests (a message round trip, well under a millisecond). If no worker can start, the
// tokenizer is built on this thread.
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from './module-worker.js';
import type { ModelPack } from './pack.js';
import { ClipTokenizer, TokenizerError } from './tokenizer.js';

export interface TokenSource {
  /** Resolves once ids can be had; rejects when the vocabulary does not fit the model. */
  readonly ready: Promise<void>;
  encode(texts: string[]): Promise<number[][]>;
  close(): Promise<void>;
}

function checkVocab(pack: ModelPack, vocabSize: number): void {
  if (vocabSize !== pack.manifest.architecture.vocabSize) {
    throw new Error(`model pack ${pack.manifest.id}: vocabulary has ${vocabSize} tokens, model expects ${pack.manifest.architecture.vocabSize}`);
  }
}

/** The tokenizer built and run on this thread. */
export function localTokens(pack: ModelPack): TokenSource & { tokenizer: ClipTokenizer } {
  const tokenizer = ClipTokenizer.fromFile(pack.path(pack.manifest.tokenizer.file));
  checkVocab(pack, tokenizer.vocabSize);
  return { tokenizer, ready: Promise.resolve(), encode: async (texts) => texts.map((t) => tokenizer.encode(t)), close: async () => {} };
}

type Pending = { resolve: (ids: number[][]) => void; reject: (e: Error) => void };

/** The tokenizer in a worker thread; falls back to localTokens if the worker cannot start. */
export function workerTokens(pack: ModelPack): TokenSource {
  let worker: Worker;
  try {
    worker = startModuleWorker(import.meta.url, 'tokenizer-worker', { file: pack.path(pack.manifest.tokenizer.file) });
  } catch {
    return localTokens(pack);
  }
  let local: TokenSource | null = null;
  let seq = 0;
  const pending = new Map<number, Pending>();
  // The worker holds the process open only while an answer is awaited (a forgotten runtime never does).
  const hold = () => (pending.size > 0 ? worker.ref() : worker.unref());
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: { type: string; id?: number; ids?: number[][]; error?: string; tokenizerError?: boolean; vocabSize?: number }) => {
      if (m.type === 'ready') {
        try {
          checkVocab(pack, m.vocabSize!);
          resolve();
        } catch (e) {
          reject(e as Error);
        }
      } else if (m.type === 'error') reject(new Error(m.error));
      else if (m.type === 'fatal') {
        // the worker could not load its module: build the tokenizer here after all
        try {
          local = localTokens(pack);
          resolve();
        } catch (e) {
          reject(e as Error);
        }
      } else if (m.type === 'ids') {
        const p = pending.get(m.id!);
        pending.delete(m.id!);
        hold();
        if (m.error) p?.reject(m.tokenizerError ? new TokenizerError(m.error) : new Error(m.error));
        else p?.resolve(m.ids!);
      }
    });
    worker.on('error', reject);
    // settles nothing once ready; before that, an exit without a message would leave open() waiting
    worker.on('exit', (code) => reject(new Error(`tokenizer worker exited (${code}) before it was ready`)));
  });
  ready.then(hold, () => {});
  worker.on('exit', () => {
    for (const p of pending.values()) p.reject(new Error('tokenizer worker exited'));
    pending.clear();
  });
  return {
    ready,
    async encode(texts) {
      await ready;
      if (local) return local.encode(texts);
      const id = ++seq;
      return new Promise<number[][]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        hold();
        worker.postMessage({ id, texts });
      });
    },
    async close() {
      await worker.terminate();
    },
  };
}
