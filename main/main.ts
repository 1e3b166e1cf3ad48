// Electron main process: one secure window, the service in a utility process, the IPC adapter,
// the app:// and media:// protocols, menus, dialogs. Kept thin: all logic lives in app/.
import { app, BrowserWindow, dialog, ipcMain, Menu, net, protocol, session, shell, type IpcMainInvokeEvent } from 'electron';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MAX_REVEAL_FOLDERS, type ShellParams } from '../app/api/shell.js';
import { isInside } from '../app/media-access.js';
import { APP_ROOT, BUNDLED_PACKS_DIR, defaultDataDir } from '../app/paths.js';
import { ServiceHost } from './host.js';
import { handleIpcCall, validateEvent, type ShellHandlers } from './ipc-adapter.js';
import { PathGrants } from './ipc-policy.js';
import { resolveMediaRequest } from './media-protocol.js';
import { buildAppMenu, popupPhotoMenu } from './menu.js';
import { openTargets, originalPhotoPath, revealTargets, type RevealDeps } from './reveal.js';
import { checkForUpdates } from './updates.js';
import { APP_SCHEME, APP_URL, appAssetPath, debugSwitchProblem, ELECTRON_CSP, isAppUrl, MEDIA_SCHEME, secureWebPreferences } from './security.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const RENDERER_DIR = path.join(APP_ROOT, 'renderer', 'dist');
const PRELOAD = path.join(here, 'preload.cjs');
const dev = !app.isPackaged;

// An installed build refuses to run with a DevTools/inspector socket open (main/security.ts).
const debugProblem = debugSwitchProblem(process.argv, app.isPackaged);

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
]);

if (debugProblem) {
  // Drop the switches too, in case Chromium has not opened its DevTools socket yet.
  for (const sw of ['remote-debugging-port', 'remote-debugging-pipe']) app.commandLine.removeSwitch(sw);
  console.error(debugProblem);
  app.exit(1);
} else if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let win: BrowserWindow | null = null;
  let host: ServiceHost | null = null;

  app.on('second-instance', () => {
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });

  // Every web contents, present or future: no navigation away, no new windows, no webviews.
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-navigate', (e, url) => {
      if (!isAppUrl(url)) e.preventDefault();
    });
    contents.on('will-redirect', (e, url) => {
      if (!isAppUrl(url)) e.preventDefault();
    });
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-attach-webview', (e) => e.preventDefault());
    // Text fields get the usual cut/copy/paste menu (photos get theirs from the renderer).
    contents.on('context-menu', (_e, params) => {
      if (!params.isEditable) return;
      Menu.buildFromTemplate([{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { type: 'separator' }, { role: 'selectAll' }]).popup();
    });
  });

  async function addFolderFromMenu(): Promise<void> {
    if (!win || !host) return;
    const r = await dialog.showOpenDialog(win, { title: 'Add a folder of photos', properties: ['openDirectory'] });
    const p = r.filePaths[0];
    if (r.canceled || !p) return;
    const res = await host.call({ id: 'menu-add', method: 'folders.add', params: { path: p, exclude: [] } });
    if (!res.ok) dialog.showErrorBox('Could not add the folder', res.error.message);
  }

  /** The original file (never the HEIC rendition in the data folder), inside a library folder. */
  async function photoPath(photoId: number): Promise<string | null> {
    const h = host;
    return h ? originalPhotoPath(photoId, { call: (env) => h.call(env), roots: () => h.roots() }) : null;
  }

  /** How the bulk "Show in folder" / "Open" resolve photos; refused while the service is not up. */
  function revealDeps(): RevealDeps {
    const h = host;
    if (!h) throw new Error('the library service is not running');
    return { call: (env) => h.call(env), roots: () => h.roots() };
  }

  // Paths the user picked in main's dialogs, the only ones the renderer may hand the service.
  const grants = new PathGrants();

  // The default session (the renderer's): no permissions, and no remote content at all. This does
  // not cover the utility process: the service downloads model files with its own fetch (the
  // installer's URL rules, and main/ipc-policy.ts's catalogue-only rule for renderer requests).
  function lockDownSession(): void {
    const ses = session.defaultSession;
    ses.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
    ses.setPermissionCheckHandler(() => false);
    ses.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] }, (_d, cb) => cb({ cancel: true }));
  }

  function registerProtocols(h: ServiceHost): void {
    protocol.handle(APP_SCHEME, async (req) => {
      // appAssetPath already refused traversal; the bundle may sit inside app.asar, where realpath
      // does not apply, so confinement here is lexical.
      const rel = appAssetPath(req.url);
      const file = rel ? path.join(RENDERER_DIR, rel) : null;
      if (!file || !isInside(file, RENDERER_DIR)) return new Response('not found', { status: 404 });
      const type = file.endsWith('.html') ? 'text/html' : file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : file.endsWith('.png') ? 'image/png' : 'application/octet-stream';
      return new Response(await readFile(file), { headers: { 'Content-Type': type, 'Content-Security-Policy': ELECTRON_CSP, 'X-Content-Type-Options': 'nosniff' } });
    });

    protocol.handle(MEDIA_SCHEME, async (req) => {
      // The service may be down or restarting (the supervisor then throws at once): a 503, not a hang.
      const answer = await resolveMediaRequest(req.url, { imageFile: (id, kind) => h.imageFile(id, kind), roots: () => h.roots() }).catch((err: Error) => ({ status: 503 as const, message: err.message }));
      if (answer.status !== 200) return new Response(answer.message, { status: answer.status });
      const res = await net.fetch(pathToFileURL(answer.path).toString());
      return new Response(res.body, { headers: { 'Content-Type': answer.contentType, 'Cache-Control': 'private, max-age=300' } });
    });
  }

  /** Main's side of the shell.* requests: native dialogs and menus, parented to the asking window. */
  function shellHandlers(event: IpcMainInvokeEvent): ShellHandlers {
    const parent = () => BrowserWindow.fromWebContents(event.sender) ?? win!;
    return {
      'shell.pickFolder': async () => {
        const r = await dialog.showOpenDialog(parent(), { title: 'Add a folder of photos', properties: ['openDirectory'] });
        return { path: r.canceled ? null : (r.filePaths[0] ?? null) };
      },
      'shell.pickImage': async () => {
        const r = await dialog.showOpenDialog(parent(), {
          title: 'Search from an image',
          properties: ['openFile'],
          filters: [{ name: 'Images', extensions: ['jpg', 'jpeg', 'png', 'webp', 'avif', 'tif', 'tiff', 'gif', 'heic', 'heif'] }],
        });
        return { path: r.canceled ? null : (r.filePaths[0] ?? null) };
      },
      'shell.pickFile': async (p: { title: string }) => {
        const r = await dialog.showOpenDialog(parent(), { title: p.title, properties: ['openFile'] });
        return { path: r.canceled ? null : (r.filePaths[0] ?? null) };
      },
      'shell.photoMenu': async (p: ShellParams<'shell.photoMenu'>) => {
        const action = await popupPhotoMenu(parent(), () => {
          void photoPath(p.photoId).then((fp) => fp && shell.showItemInFolder(fp));
        });
        return { action };
      },
      'shell.showInFolder': async (p: ShellParams<'shell.showInFolder'>) => {
        const fp = await photoPath(p.photoId);
        if (fp) shell.showItemInFolder(fp);
        return { shown: !!fp };
      },
      // The counts were capped by the schema (ipc-adapter validated them before this runs).
      'shell.revealPhotos': async (p: ShellParams<'shell.revealPhotos'>) => {
        const t = await revealTargets(p.photoIds, revealDeps(), MAX_REVEAL_FOLDERS);
        for (const fp of t.paths) shell.showItemInFolder(fp);
        return { folders: t.folders, shown: t.paths.length };
      },
      'shell.openPhotos': async (p: ShellParams<'shell.openPhotos'>) => {
        const paths = await openTargets(p.photoIds, revealDeps());
        // openPath answers '' on success, else the reason.
        const errors = (await Promise.all(paths.map((fp) => shell.openPath(fp)))).filter(Boolean);
        return { opened: paths.length - errors.length, failed: p.photoIds.length - paths.length + errors.length };
      },
    };
  }

  function openWindow(): BrowserWindow {
    const w = new BrowserWindow({
      width: 1320,
      height: 860,
      minWidth: 820,
      minHeight: 560,
      title: 'MagicLens',
      backgroundColor: '#141417',
      show: false,
      icon: path.join(APP_ROOT, 'build', 'icon.png'),
      webPreferences: secureWebPreferences(PRELOAD, app.isPackaged),
    });
    w.once('ready-to-show', () => win?.show());
    w.on('closed', () => (win = null));
    return w;
  }

  app.whenReady().then(async () => {
    lockDownSession();

    // ONNX Runtime opens model files natively, bypassing Electron's asar layer: point it at the
    // unpacked copy (electron-builder.yml unpacks models/packs).
    const bundledPacksDir = BUNDLED_PACKS_DIR.replace(/app\.asar(?=[\\/])/, 'app.asar.unpacked');
    host = new ServiceHost({ dataDir: defaultDataDir(process.env, process.platform) || app.getPath('userData'), bundledPacksDir, debug: dev });
    const h = host;

    registerProtocols(h);
    ipcMain.handle('magiclens:call', (event, raw: unknown) =>
      handleIpcCall(event.senderFrame?.url, raw, { forward: (env) => h.call(env), shell: shellHandlers(event), grants }),
    );

    // Events from the service: checked against the contract, then fanned out to the window.
    const toWindows = (e: { event: string; data: unknown }) => {
      const valid = validateEvent(e);
      if (valid) for (const w of BrowserWindow.getAllWindows()) w.webContents.send('magiclens:event', valid);
    };
    h.onEvent(toWindows);
    // The service crashed / came back: the renderer shows "Restarting the library service…".
    h.onState((s) => toWindows({ event: 'service.state', data: s }));

    Menu.setApplicationMenu(
      buildAppMenu({ addFolder: () => void addFolderFromMenu(), checkForUpdates: () => void checkForUpdates(win), version: app.getVersion(), isMac: process.platform === 'darwin', dev }),
    );

    win = openWindow();
    await win.loadURL(APP_URL);
    h.ready.catch((err: Error) => dialog.showErrorBox('MagicLens could not start its service', err.message));
  });

  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => host?.close());
}
