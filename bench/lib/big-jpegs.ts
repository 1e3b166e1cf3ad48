// Generated 12-MP JPEGs for the indexing benchmarks (bench:perf index, bench/measure/decode-contention.ts).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

/** 4000×3000 JPEGs with distinct content (random noise per file: identical files would be deduplicated by hash). */
export async function makeBigJpegs(dir: string, n: number): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const f = path.join(dir, `big-${String(i).padStart(3, '0')}.jpg`);
    if (fs.existsSync(f)) continue;
    // Noise at 1000×750 upscaled to 12 MP: photo-like detail and a photo-like file size (~4–5 MB at q90)
    const small = await sharp({ create: { width: 1000, height: 750, channels: 3, background: { r: 0, g: 0, b: 0 }, noise: { type: 'gaussian', mean: 100 + (i % 60), sigma: 50 } } }).png().toBuffer();
    await sharp(small).resize(4000, 3000, { kernel: 'cubic' })
      .jpeg({ quality: 90 }).toFile(f);
  }
}

