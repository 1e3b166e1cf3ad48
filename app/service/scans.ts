// Folder scans: counts the scans in flight so the indexer and idle checks know when the library is still being read.
import type { Indexer } from '../index/indexer.js';
import type { Library } from '../library/library.js';

export interface ScanDeps {
  library: Pick<Library, 'scan' | 'settling'>;
  indexer: Pick<Indexer, 'setScanning' | 'kick' | 'whenIdle' | 'isPaused' | 'hasWorkLeft'>;
}

const POLL_MS = 20;
const tick = () => new Promise((r) => setTimeout(r, POLL_MS));

export class ScanScheduler {
  private running = 0;

  constructor(private readonly d: ScanDeps) {}

  /** Rescan folders (all when omitted) and start indexing what is pending. */
  async scan(ids?: number[]): Promise<number> {
    this.running++;
    this.d.indexer.setScanning(true);
    try {
      return await this.d.library.scan(ids);
    } finally {
      this.running--;
      this.d.indexer.setScanning(this.running > 0);
      this.d.indexer.kick();
    }
  }

  /** A scan nobody waits for: its failures show up per file in the library, not here. */
  background(ids?: number[]): void {
    void this.scan(ids).catch(() => {});
  }

  /** Resolves when no folder scan is running or queued. */
  async scansIdle(): Promise<void> {
    while (this.running > 0) await tick();
  }

  /** Resolves when no scan, watcher batch or indexing is in flight (and nothing is pending). */
  async whenIdle(): Promise<void> {
    const { library, indexer } = this.d;
    // Loop: a scan can kick the indexer, the indexer's batch can trigger album refreshes.
    for (;;) {
      await tick();
      if (library.settling || this.running > 0) continue;
      await indexer.whenIdle();
      if (library.settling || this.running > 0) continue;
      if (indexer.isPaused || !indexer.hasWorkLeft()) return;
      indexer.kick();
    }
  }
}
