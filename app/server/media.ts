// GET /media/{thumb,full}/<id>: image bytes, only from inside the folders they may come from.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { ApiError } from '../api/contract.js';
import { MEDIA_CACHE_DIR, parseMediaPath, resolveInsideRoots } from '../media-access.js';
import type { BridgeService } from './bridge.js';
import { baseHeaders, sendError, statusFor } from './http.js';

export type MediaRoute = (req: http.IncomingMessage, res: http.ServerResponse, rest: string) => Promise<void>;

/** `rest` is the path after '/media'. */
export function mediaRoute(service: BridgeService): MediaRoute {
  let dataDir: string | null = null;

  /** Thumbnails (and browser-viewable renditions, e.g. of HEIC) come from the data dir's thumbs
   *  folder; full images from the library folders — or a rendition from that same thumbs folder. */
  async function mediaRoots(kind: 'thumb' | 'full'): Promise<string[]> {
    dataDir ??= (await service.handlers['status.get']({})).dataDir;
    const generated = path.join(dataDir, MEDIA_CACHE_DIR);
    if (kind === 'thumb') return [generated];
    return [...(await service.handlers['folders.list']({})).map((f) => f.path), generated];
  }

  return async (req, res, rest) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'invalid_request', 'use GET');
    const parsed = parseMediaPath(rest);
    if (!parsed) return sendError(res, 400, 'bad_input', 'media path must be /media/thumb/<id> or /media/full/<id>');
    let file: { path: string; contentType: string };
    try {
      file = await service.imageFile(parsed.photoId, parsed.kind);
    } catch (err) {
      const e = ApiError.from(err);
      return sendError(res, statusFor(e.code), e.code, e.message);
    }
    const real = await resolveInsideRoots(file.path, await mediaRoots(parsed.kind));
    if (!real) return sendError(res, 404, 'not_found', 'image is not inside a library folder');
    const st = await stat(real);
    if (!st.isFile()) return sendError(res, 404, 'not_found', 'not a file');
    res.writeHead(200, {
      ...baseHeaders({ 'Cache-Control': 'private, max-age=300' }),
      'Content-Type': file.contentType,
      'Content-Length': String(st.size),
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(real).on('error', () => res.destroy()).pipe(res);
  };
}
