// Command line converter: official MagicLens checkpoint + CLIP BPE vocabulary → model pack folder.
//   npx tsx models/ts/convert-cli.ts --checkpoint magic_lens_clip_base.pkl --vocab bpe_simple_vocab_16e6.txt.gz \
//       --out packs/magiclens-base [--id magiclens-base] [--name "MagicLens base"] [--preprocessing squash|center-crop] [--fp16]
//   other flags: --demo --description TEXT --source TEXT --licence TEXT --expose (debug outputs) --fp16
// Prints a JSON summary (seconds, peak RSS) on the last line.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { convertCheckpoint } from './convert.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      checkpoint: { type: 'string' }, vocab: { type: 'string' }, out: { type: 'string' },
      id: { type: 'string' }, name: { type: 'string' }, preprocessing: { type: 'string' },
      demo: { type: 'boolean' }, description: { type: 'string' }, source: { type: 'string' }, licence: { type: 'string' }, expose: { type: 'boolean' }, fp16: { type: 'boolean' },
    },
  });
  if (!values.checkpoint || !values.vocab || !values.out) {
    process.stderr.write('usage: convert-cli --checkpoint FILE --vocab FILE --out DIR [--id ID] [--name NAME] [--preprocessing squash|center-crop]\n');
    return 2;
  }
  const pre = values.preprocessing;
  if (pre !== undefined && pre !== 'squash' && pre !== 'center-crop') {
    process.stderr.write(`--preprocessing must be squash or center-crop\n`);
    return 2;
  }
  const t0 = performance.now();
  const id = values.id ?? path.basename(values.out).toLowerCase().replace(/[^a-z0-9._-]/g, '-');
  const m = await convertCheckpoint({
    checkpoint: values.checkpoint, vocab: values.vocab, outDir: values.out, id, name: values.name ?? id,
    demo: values.demo ?? false, description: values.description, source: values.source, licence: values.licence,
    preprocessing: pre, build: { expose: values.expose ?? false }, fp16: values.fp16 ?? false,
    onProgress: (p) => process.stderr.write(`[${p.done}/${p.total}] ${p.step}\n`),
  });
  const seconds = (performance.now() - t0) / 1000;
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ id: m.id, seconds: Number(seconds.toFixed(2)), peakRssMiB: Math.round(peakRssMiB), architecture: m.architecture }) + '\n');
  return 0;
}

main().then((c) => { process.exitCode = c; }, (e: Error) => { process.stderr.write(`error: ${e.message}\n`); process.exitCode = 1; });
