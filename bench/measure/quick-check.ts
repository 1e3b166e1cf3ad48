// Times PRAGMA quick_check and integrity_check on a library of N photos with 512-d vectors in both
// vec0 tables (the base pack's shape), and one online backup. Prints figures; not a test.
// usage: npx tsx bench/measure/quick-check.ts [photos=100000]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../app/store/db.js';
import { quickCheck } from '../../app/store/integrity.js';
import { VectorStore } from '../../app/store/vectors.js';

const n = Number(process.argv[2] ?? 100_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-qc-'));
const file = path.join(dir, 'library.db');
const db = openDatabase(file);
const vectors = new VectorStore(db);
const key = vectors.ensureModel('bench-base', 512);
const ins = db.prepare("INSERT INTO photos (path, folder_id, hash, size, status, added_at, updated_at) VALUES (?, NULL, ?, 1000, 'indexed', 0, 0)");
const v = new Float32Array(512);
let t = performance.now();
for (let start = 0; start < n; start += 1000) {
  db.transaction(() => {
    for (let i = start; i < Math.min(n, start + 1000); i++) {
      const id = Number(ins.run(`/photos/p${i}.jpg`, `h${i}`).lastInsertRowid);
      for (let j = 0; j < 512; j++) v[j] = Math.sin(i * 0.37 + j);
      vectors.put(key, 'clip', id, v);
      vectors.put(key, 'target', id, v);
    }
  })();
}
db.pragma('wal_checkpoint(TRUNCATE)');
console.log(`built ${n} photos in ${((performance.now() - t) / 1000).toFixed(1)} s; file ${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MiB`);
db.close();
const db2 = openDatabase(file);
const q = quickCheck(db2);
console.log(`quick_check: ${q.ok ? 'ok' : q.errors.join('; ')} in ${q.ms.toFixed(0)} ms (cold open)`);
const q2 = quickCheck(db2);
console.log(`quick_check: ${q2.ms.toFixed(0)} ms (warm)`);
t = performance.now();
db2.pragma('integrity_check');
console.log(`integrity_check: ${(performance.now() - t).toFixed(0)} ms`);
t = performance.now();
await db2.backup(path.join(dir, 'backup.db'));
console.log(`online backup: ${(performance.now() - t).toFixed(0)} ms`);
db2.close();
fs.rmSync(dir, { recursive: true, force: true });
