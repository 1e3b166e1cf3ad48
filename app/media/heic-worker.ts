// Runs in a worker thread: HEIC/HEIF decoding with heic-decode (libheif compiled to wasm; sharp's prebuilt
// libvips has no HEVC decoder). The wasm heap grows to the largest photo decoded (measured: +710 MB for
// a 48-MP HEIC, +200 MB for 12 MP) and never shrinks while its thread lives, so the decoder lives in
// this thread, which app/media/heic.ts ends after large decodes and when idle. Answers RGB (alpha
// dropped, orientation applied by libheif), transferred without a copy.
import { parentPort } from 'node:worker_threads';
import decode from 'heic-decode';
import { rgbaToRgb } from './rgb.js';

const port = parentPort!;

port.on('message', (m: { id: number; buf: Uint8Array }) => {
  void (async () => {
    try {
      const img = await decode({ buffer: m.buf });
      const data = rgbaToRgb(img.data, img.width * img.height);
      port.postMessage({ id: m.id, width: img.width, height: img.height, data }, [data.buffer as ArrayBuffer]);
    } catch (err) {
      port.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
    }
  })();
});
port.postMessage({ type: 'ready' });
