// DTIN, domain transfer on ImageNet (Saito et al., Pic2Word, CVPR 2023), in its published layout
// (google-research/composed_image_retrieval data/imgnet):
//   <root>/imgnet/imgnet_real_query.txt  "imgnet/real/<wnid>/<file>.JPEG <class>"            (paths relative to <root>)
//   <root>/imgnet/imgnet_targets.txt     "imgnet/imagenet-r/<wnid>/<domain>_<n>.jpg <domain*1000 + class>"
// Domains 0..3 = cartoon, origami, toy, sculpture. A query is a real photo + "a <domain> of this"; every
// target of that class in that domain is relevant. Columns as in the paper: Recall@10 and Recall@50 per domain.
import fs from 'node:fs';
import path from 'node:path';
import { hitAtK, mean } from '../metrics.js';
import { rankIds } from '../rank.js';
import { ALL_MODES, DatasetError, MODE_LABEL, encodeDistinct, limited, mustExist, pct, queryVectors, galleryMatrix, type Mode, type ResultTable, type RunOptions } from './common.js';

export const DTIN_DOMAINS = ['cartoon', 'origami', 'toy', 'sculpture'] as const;

export function dtinInstruction(domain: string): string {
  return `${/^[aeiou]/.test(domain) ? 'an' : 'a'} ${domain} of this`;
}

function readList(file: string, what: string): { rel: string; label: number }[] {
  mustExist(file, what);
  return fs.readFileSync(file, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0).map((l, i) => {
    const m = /^(\S+)\s+(-?\d+)$/.exec(l);
    if (!m) throw new DatasetError(`${what}: line ${i + 1} of ${file} is not "<path> <label>"`);
    return { rel: m[1] as string, label: Number(m[2]) };
  });
}

export async function runDtin(opts: RunOptions & { instruction?: (domain: string) => string }): Promise<ResultTable> {
  const base = path.join(opts.root, 'imgnet');
  const queries = limited(readList(path.join(base, 'imgnet_real_query.txt'), 'DTIN queries'), opts.limit);
  const targets = readList(path.join(base, 'imgnet_targets.txt'), 'DTIN targets');
  const modes: Mode[] = opts.modes ?? ALL_MODES;
  const D = opts.model.dim;
  const file = (rel: string) => mustExist(path.join(opts.root, rel), 'DTIN image');
  const gallery = await encodeDistinct(opts.model, targets.map((t) => t.rel), file, opts.log, 'DTIN targets');
  const refs = await encodeDistinct(opts.model, queries.map((q) => q.rel), file, opts.log, 'DTIN queries');
  const byLabel = new Map<number, string[]>();
  for (const t of targets) byLabel.set(t.label, [...(byLabel.get(t.label) ?? []), t.rel]);
  const instr = opts.instruction ?? dtinInstruction;
  const rows = [];
  for (const mode of modes) {
    const values: number[] = [];
    const r10s: number[] = [];
    const r50s: number[] = [];
    for (let d = 0; d < DTIN_DOMAINS.length; d++) {
      const domain = DTIN_DOMAINS[d] as string;
      // Only queries whose class exists in this domain can be answered
      const qs = queries.filter((q) => byLabel.has(d * 1000 + q.label));
      if (qs.length === 0) { values.push(Number.NaN, Number.NaN); continue; }
      const qv = await queryVectors(mode, opts.model, refs.enc, qs.map((q) => refs.rowOf.get(q.rel) as number), qs.map(() => instr(domain)));
      const gm = galleryMatrix(mode, gallery.enc);
      const r10: number[] = [];
      const r50: number[] = [];
      qs.forEach((q, i) => {
        const ranked = rankIds(gm, D, gallery.keys, qv.subarray(i * D, (i + 1) * D), 50);
        const rel = byLabel.get(d * 1000 + q.label) as string[];
        r10.push(hitAtK(ranked, rel, 10));
        r50.push(hitAtK(ranked, rel, 50));
      });
      values.push(pct(mean(r10)), pct(mean(r50)));
      r10s.push(pct(mean(r10)));
      r50s.push(pct(mean(r50)));
    }
    values.push(Math.round(mean(r10s) * 100) / 100, Math.round(mean(r50s) * 100) / 100);
    rows.push({ label: MODE_LABEL[mode], values });
  }
  return {
    dataset: 'dtin', title: `DTIN (${queries.length} real-photo queries × 4 domains, ${targets.length} targets)`,
    columns: [...DTIN_DOMAINS.flatMap((d) => [`${d} R@10`, `${d} R@50`]), 'Avg R@10', 'Avg R@50'], rows,
    queries: queries.length, gallery: targets.length, notes: [`instruction: "${instr('cartoon')}" etc.; relevant = every target of the class in that domain`],
  };
}
