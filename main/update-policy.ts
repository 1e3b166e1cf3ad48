// When and how the app may update itself (Electron-free, testable). electron-updater fetches
// latest*.yml from the `publish` target in electron-builder.yml (written into the package as
// resources/app-update.yml) and checks the download's signature before installing it: on Windows
// against win.signtoolOptions.publisherName (verifyUpdateCodeSignature), on macOS Squirrel.Mac
// against the running app's code signature. Nothing is downloaded without the user's yes.

export type UpdateSupport = { ok: true; feed: string } | { ok: false; reason: string };

/** The `url:` of a generic/https feed in app-update.yml, or null (github and s3 feeds name no url). */
export function feedUrl(updateConfig: string): string | null {
  const m = /^url:\s*['"]?([^'"\s]+)['"]?\s*$/m.exec(updateConfig);
  return m ? m[1]! : null;
}

/** Whether "Check for updates" can work in this build, or why not (shown to the user as is). */
export function updateSupport(o: { packaged: boolean; platform: NodeJS.Platform; env: Record<string, string | undefined>; updateConfig: string | null }): UpdateSupport {
  if (!o.packaged) return { ok: false, reason: 'Updates are checked only in installed builds.' };
  if (o.platform === 'linux' && !o.env.APPIMAGE) return { ok: false, reason: 'This copy was installed from a package: your system’s package manager updates it.' };
  if (o.updateConfig === null) return { ok: false, reason: 'This build has no update configuration.' };
  const url = feedUrl(o.updateConfig);
  const provider = /^provider:\s*['"]?(\w+)/m.exec(o.updateConfig)?.[1];
  if (!url) return provider === 'github' || provider === 's3' ? { ok: true, feed: provider } : { ok: false, reason: 'This build has no update server configured.' };
  let u: URL;
  try {
    u = new URL(url.replace(/\$\{\w+\}/g, 'x'));
  } catch {
    return { ok: false, reason: 'This build’s update server address is not valid.' };
  }
  if (u.protocol !== 'https:') return { ok: false, reason: 'Updates are fetched over https only.' };
  // electron-builder.yml ships a placeholder under .invalid (RFC 2606) until a release owner sets one.
  if (u.hostname.endsWith('.invalid')) return { ok: false, reason: 'This build has no update server configured.' };
  return { ok: true, feed: url };
}

/** What the "Check for updates" dialog says. */
export function updateMessage(current: string, available: { version: string } | null): string {
  return available && available.version !== current
    ? `MagicLens ${available.version} is available (you have ${current}). Download it now? It installs when you quit.`
    : `MagicLens ${current} is the latest version.`;
}
