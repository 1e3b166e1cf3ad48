// Photo-like test images (sky gradient, sun, hills, a few shapes) rendered from SVG with sharp,
// so screenshots look like a photo library rather than noise. Each seed gives a distinct picture.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

function rng(seed: number): () => number {
  let a = seed >>> 0 || 1;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function writeScene(file: string, seed: number, w = 320, h = 240): Promise<string> {
  const r = rng(seed);
  const hue = Math.floor(r() * 360);
  const sky1 = `hsl(${hue},70%,${55 + r() * 25}%)`;
  const sky2 = `hsl(${(hue + 40) % 360},60%,${30 + r() * 30}%)`;
  const ground = `hsl(${(hue + 120 + r() * 60) % 360},45%,${25 + r() * 20}%)`;
  const hill = (y: number, c: string) => {
    const pts = [`0,${h}`];
    for (let x = 0; x <= w; x += w / 6) pts.push(`${x.toFixed(0)},${(y + (r() - 0.5) * h * 0.25).toFixed(0)}`);
    pts.push(`${w},${h}`);
    return `<polygon points="${pts.join(' ')}" fill="${c}"/>`;
  };
  const shapes = Array.from({ length: 3 }, () => {
    const c = `hsl(${Math.floor(r() * 360)},70%,55%)`;
    const x = r() * w;
    const y = h * (0.55 + r() * 0.35);
    const s = 10 + r() * 30;
    return r() > 0.5 ? `<circle cx="${x}" cy="${y}" r="${s / 2}" fill="${c}"/>` : `<rect x="${x}" y="${y - s}" width="${s}" height="${s * 1.4}" rx="3" fill="${c}"/>`;
  }).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${sky1}"/><stop offset="1" stop-color="${sky2}"/></linearGradient></defs>
    <rect width="${w}" height="${h}" fill="url(#g)"/>
    <circle cx="${w * (0.2 + r() * 0.6)}" cy="${h * (0.15 + r() * 0.25)}" r="${h * (0.06 + r() * 0.08)}" fill="hsl(${(hue + 180) % 360},90%,85%)" opacity="0.9"/>
    ${hill(h * 0.6, `hsl(${(hue + 200) % 360},30%,40%)`)}${hill(h * 0.75, ground)}${shapes}
  </svg>`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(Buffer.from(svg)).jpeg({ quality: 88 }).toFile(file);
  return file;
}
