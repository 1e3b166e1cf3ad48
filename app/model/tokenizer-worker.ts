// Runs in a worker thread: the CLIP tokenizer of the interactive lane (app/model/token-source.ts). Built
// here while the service's thread opens the ONNX sessions, then it answers encode requests.
import { parentPort, workerData } from 'node:worker_threads';
import { ClipTokenizer, TokenizerError } from './tokenizer.js';

const port = parentPort!;
try {
  const tok = ClipTokenizer.fromFile((workerData as { file: string }).file);
  port.on('message', (m: { id: number; texts: string[] }) => {
    try {
      port.postMessage({ type: 'ids', id: m.id, ids: m.texts.map((t) => tok.encode(t)) });
    } catch (err) {
      port.postMessage({ type: 'ids', id: m.id, error: (err as Error).message, tokenizerError: err instanceof TokenizerError });
    }
  });
  port.postMessage({ type: 'ready', vocabSize: tok.vocabSize });
} catch (err) {
  port.postMessage({ type: 'error', error: (err as Error).message });
}
