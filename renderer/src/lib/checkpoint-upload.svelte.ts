// A MagicLens checkpoint (.pkl) picked with the file chooser on the Models page or dropped anywhere on
// the window: sent to the bridge's upload route, which installs it like a local file. The job id is
// shared so the Models page shows the install's progress whichever way the file came in.
import type { AppState } from './app.svelte.js';

export const checkpointUpload = $state<{ busy: boolean; jobId: string | null; name: string | null }>({ busy: false, jobId: null, name: null });

export function isCheckpointFile(f: { name: string }): boolean {
  return /\.pkl$/i.test(f.name);
}

export async function uploadCheckpoint(app: AppState, file: File): Promise<void> {
  if (!isCheckpointFile(file)) {
    app.notify(`${file.name} is not a MagicLens checkpoint: choose the .pkl file (e.g. magic_lens_clip_base.pkl)`, 'error');
    return;
  }
  const send = app.client.uploadCheckpoint;
  if (!send) {
    // the desktop app installs from a path: its native dialog is on the Models page
    app.go({ name: 'models' });
    app.notify('Use "Browse…" on the Models page to choose the checkpoint file.', 'error');
    return;
  }
  if (checkpointUpload.busy) return;
  checkpointUpload.busy = true;
  checkpointUpload.name = file.name;
  app.go({ name: 'models' });
  try {
    const r = await app.guard(`Could not install ${file.name}`, () => send.call(app.client, file));
    if (r) checkpointUpload.jobId = r.jobId;
  } finally {
    checkpointUpload.busy = false;
  }
}
