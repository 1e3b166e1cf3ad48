// Pure security policy for the Electron shell (no Electron import: unit-testable).
export const APP_SCHEME = 'magiclens-app';
export const MEDIA_SCHEME = 'magiclens-media';
export const APP_ORIGIN = `${APP_SCHEME}://app`;
export const APP_URL = `${APP_ORIGIN}/index.html`;

/** The renderer's Content-Security-Policy inside Electron. */
export const ELECTRON_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  `img-src 'self' ${MEDIA_SCHEME}: blob: data:`,
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Only our own bundled pages may load in a window (no remote content, ever). */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === 'app';
  } catch {
    return false;
  }
}

/** Maps an app:// URL to a file path relative to the renderer bundle, or null when it is not one. */
export function appAssetPath(url: string): string | null {
  if (!isAppUrl(url)) return null;
  // Check the raw text: URL parsing folds "%2e%2e" and ".." segments away before we could see them.
  const raw = url.slice(APP_ORIGIN.length);
  if (/\.\.|%2e|%2f|%5c|\\/i.test(raw)) return null;
  const u = new URL(url);
  const rel = decodeURIComponent(u.pathname).replace(/^\/+/, '') || 'index.html';
  if (rel.split(/[\\/]/).some((seg) => seg === '..' || seg === '') || rel.includes('\0')) return null;
  return rel;
}

/** Command-line switches that open the app to a debugger: refused in packaged builds. */
const DEBUG_SWITCHES = /^--(remote-debugging-port|remote-debugging-pipe|remote-debugging-address|remote-allow-origins|inspect|inspect-brk|inspect-port|inspect-publish-uid|js-flags)(=|$)/i;

/**
 * Null, or why a packaged app must not start with these arguments: `--remote-debugging-port`
 * hands any local process a DevTools protocol socket (full control of the renderer), and the
 * fuses only cover Node's own `--inspect`. Development builds keep them for debugging.
 */
export function debugSwitchProblem(argv: readonly string[], packaged: boolean): string | null {
  if (!packaged) return null;
  const bad = argv.find((a) => DEBUG_SWITCHES.test(a));
  return bad ? `MagicLens does not start with debugging switches (${bad.split('=')[0]}) in an installed build` : null;
}

/** webPreferences every window gets; DevTools only in development builds. */
export function secureWebPreferences(preload: string, packaged = false) {
  return {
    preload,
    devTools: !packaged,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  } as const;
}
