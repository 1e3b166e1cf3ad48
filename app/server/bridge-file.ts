// The running bridge's address for local clients (the CLI): `magiclens serve` writes its URL and token
// to a file in the user data folder, readable by its owner only (0600, written to a temp file with that
// mode and renamed into place, so no reader ever sees it half-written or with looser permissions), and
// removes it on exit. The token is the bridge's only secret: whoever can read this file can use the API,
// which is why it lives in the owner's data folder and nowhere else.
import fs from 'node:fs';
import path from 'node:path';

export interface BridgeInfo {
  /** http://127.0.0.1:PORT (without the token) */
  url: string;
  port: number;
  token: string;
  pid: number;
}

export function bridgeFilePath(dataDir: string): string {
  return path.join(dataDir, 'bridge.json');
}

export function writeBridgeFile(dataDir: string, info: BridgeInfo): void {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = bridgeFilePath(dataDir);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  // 'wx' + mode: created with owner-only permissions from the start (the umask can only narrow them)
  fs.writeFileSync(tmp, JSON.stringify(info) + '\n', { mode: 0o600, flag: 'wx' });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

/** Removes the file if it still names this process's bridge (a newer `serve` may have replaced it). */
export function removeBridgeFile(dataDir: string, pid: number = process.pid): void {
  const info = readBridgeFile(dataDir);
  if (info && info.pid === pid) fs.rmSync(bridgeFilePath(dataDir), { force: true });
}

export function readBridgeFile(dataDir: string): BridgeInfo | null {
  try {
    const j = JSON.parse(fs.readFileSync(bridgeFilePath(dataDir), 'utf8')) as Partial<BridgeInfo>;
    if (typeof j.url !== 'string' || typeof j.port !== 'number' || typeof j.token !== 'string' || typeof j.pid !== 'number') return null;
    return { url: j.url, port: j.port, token: j.token, pid: j.pid };
  } catch {
    return null;
  }
}
