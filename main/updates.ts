// "Check for updates" (Electron side): electron-updater against the installers' publish feed,
// manual only — the app contacts no server unless the user asks. Policy in update-policy.ts.
import { app, dialog, type BrowserWindow } from 'electron';
import electronUpdater from 'electron-updater';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { updateMessage, updateSupport } from './update-policy.js';

function updateConfig(): string | null {
  try {
    return readFileSync(path.join(process.resourcesPath, 'app-update.yml'), 'utf8');
  } catch {
    return null;
  }
}

export async function checkForUpdates(win: BrowserWindow | null): Promise<void> {
  const version = app.getVersion();
  const show = (message: string, buttons = ['OK']) => (win ? dialog.showMessageBox(win, { type: 'info', title: 'Updates', message, buttons }) : dialog.showMessageBox({ type: 'info', title: 'Updates', message, buttons }));
  const support = updateSupport({ packaged: app.isPackaged, platform: process.platform, env: process.env, updateConfig: updateConfig() });
  if (!support.ok) return void (await show(`MagicLens ${version}\n\n${support.reason}`));
  const { autoUpdater } = electronUpdater;
  autoUpdater.autoDownload = false; // ask first
  autoUpdater.autoInstallOnAppQuit = true;
  autoUpdater.allowDowngrade = false;
  autoUpdater.allowPrerelease = false;
  try {
    const r = await autoUpdater.checkForUpdates();
    const available = r?.isUpdateAvailable ? { version: r.updateInfo.version } : null;
    const answer = await show(updateMessage(version, available), available ? ['Download', 'Later'] : ['OK']);
    if (available && answer.response === 0) {
      await autoUpdater.downloadUpdate(); // signature checked by electron-updater before install
      await show(`MagicLens ${available.version} is downloaded and installs when you quit.`);
    }
  } catch (err) {
    await show(`Could not check for updates: ${err instanceof Error ? err.message : String(err)}`);
  }
}
