// Messages between Electron main and the utility process hosting the service. Both sides
// validate every message with these schemas: a process boundary is a trust boundary.
// Pure zod, no Electron import, so it is unit-testable and shared by both ends.
import { z } from 'zod';
import { RequestEnvelope } from '../app/api/contract.js';

const CallId = z.number().int().nonnegative();
const ErrorBody = z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() });
const ResponseEnvelope = z.union([
  z.object({ id: z.union([z.string(), z.number()]), ok: z.literal(true), result: z.unknown() }),
  z.object({ id: z.union([z.string(), z.number()]).nullable(), ok: z.literal(false), error: ErrorBody }),
]);

/** main → host */
export const ToHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('call'), callId: CallId, envelope: RequestEnvelope }).strict(),
  z.object({ type: z.literal('image'), callId: CallId, photoId: z.number().int().positive(), kind: z.enum(['thumb', 'full']) }).strict(),
  z.object({ type: z.literal('roots'), callId: CallId }).strict(),
  z.object({ type: z.literal('close') }).strict(),
]);
export type ToHost = z.output<typeof ToHost>;

/** host → main */
export const FromHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }).strict(),
  z.object({ type: z.literal('fatal'), message: z.string() }).strict(),
  z.object({ type: z.literal('response'), callId: CallId, envelope: ResponseEnvelope }).strict(),
  z.object({ type: z.literal('event'), event: z.string().max(64), data: z.unknown() }).strict(),
  z
    .object({ type: z.literal('image'), callId: CallId, ok: z.boolean(), path: z.string().optional(), contentType: z.string().optional(), error: z.string().optional() })
    .strict(),
  /** Where media may come from: library folders (full images) and the data dir (thumbnails). */
  z.object({ type: z.literal('roots'), callId: CallId, folders: z.array(z.string()), dataDir: z.string() }).strict(),
]);
export type FromHost = z.output<typeof FromHost>;
