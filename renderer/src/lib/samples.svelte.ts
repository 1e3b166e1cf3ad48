// The bundled sample photos: "Try it on sample photos" on the welcome screen, and the suggested
// searches (query photo + instruction) shown over the library once they are there.
import type { Result } from '../../../app/api/contract.js';
import type { AppState } from './app.svelte.js';

export type SamplesInfo = Result<'samples.get'>;
export type Suggestion = SamplesInfo['suggestions'][number];

export class Samples {
  info = $state<SamplesInfo | null>(null);
  adding = $state(false);

  constructor(private readonly app: AppState) {}

  /** Shown only when the app ships samples; a failure here just hides the offer. */
  async load(): Promise<void> {
    this.info = await this.app.client.call('samples.get', {}).catch(() => null);
  }

  async add(): Promise<void> {
    if (this.adding) return;
    this.adding = true;
    try {
      this.info = await this.app.client.call('samples.add', {});
      this.app.notify(`Added the sample photos. Indexing starts now; then try a suggested search.`);
      await Promise.all([this.app.loadFolders(), this.app.loadStatus()]);
      this.app.go({ name: 'library', folderId: null });
    } catch (err) {
      this.app.notify(`Could not add the sample photos: ${err instanceof Error ? err.message : String(err)}`, 'error');
    } finally {
      this.adding = false;
    }
  }

  /** Runs a suggestion as the user would: its photo becomes the query, its instruction is typed. */
  async run(s: Suggestion): Promise<void> {
    let id = s.photoId;
    if (id === null) {
      await this.load();
      id = this.info?.suggestions.find((x) => x.file === s.file)?.photoId ?? null;
    }
    if (id === null) {
      this.app.notify('The sample photos are still being indexed; try again in a moment.');
      return;
    }
    const photo = await this.app.client.call('photos.get', { id }).catch(() => null);
    if (!photo) {
      this.app.notify(`The sample photo ${s.file} is no longer in the library.`, 'error');
      return;
    }
    this.app.setQueryPhoto(photo);
    this.app.instruction = s.instruction;
    await this.app.search();
  }
}
