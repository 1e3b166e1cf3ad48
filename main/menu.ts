// Application menu and the native photo context menu.
import { Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import type { PhotoMenuAction } from '../app/api/shell.js';

export function buildAppMenu(opts: { addFolder(): void; checkForUpdates(): void; version: string; isMac: boolean; dev: boolean }): Menu {
  const template: MenuItemConstructorOptions[] = [
    ...(opts.isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        { label: 'Add Folder…', accelerator: 'CmdOrCtrl+O', click: () => opts.addFolder() },
        { type: 'separator' },
        opts.isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(opts.dev ? [{ type: 'separator' as const }, { role: 'reload' as const }, { role: 'toggleDevTools' as const }] : []),
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        { label: `MagicLens ${opts.version}`, enabled: false },
        { label: 'Check for Updates…', click: () => opts.checkForUpdates() },
      ],
    },
  ];
  return Menu.buildFromTemplate(template);
}

/** Shows the native photo menu; resolves with what the renderer should do (null: nothing). */
export function popupPhotoMenu(win: BrowserWindow, onShowInFolder: () => void): Promise<PhotoMenuAction> {
  return new Promise((resolve) => {
    let chosen: PhotoMenuAction = null;
    const menu = Menu.buildFromTemplate([
      { label: 'Find related…', click: () => (chosen = 'find-related') },
      { label: 'Similar photos', click: () => (chosen = 'similar') },
      { type: 'separator' },
      { label: process.platform === 'darwin' ? 'Show in Finder' : 'Show in folder', click: () => onShowInFolder() },
      { label: 'Open', click: () => (chosen = 'open') },
    ]);
    menu.popup({ window: win, callback: () => setImmediate(() => resolve(chosen)) });
  });
}
