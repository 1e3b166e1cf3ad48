// Desktop-shell requests: things only Electron's main process can do (native dialogs, native
// context menu, revealing a file). They travel over the same IPC `call` as the API but are
// answered by main/, never by the service, so they are NOT part of Handlers. The HTTP bridge
// does not serve them; the renderer uses in-page fallbacks there. No Node imports here.
import { z } from 'zod';
import { Id } from './schemas.js';

export const PhotoMenuAction = z.enum(['find-related', 'similar', 'open']).nullable();

/** The most photos one "Open" request opens (each starts the user's default image app). */
export const MAX_OPEN_PHOTOS = 20;
/** The most photos one "Show in folder" request looks at; each distinct folder opens one window. */
export const MAX_REVEAL_PHOTOS = 1000;
/** The most file-manager windows one "Show in folder" request opens. */
export const MAX_REVEAL_FOLDERS = 5;

export const shellMethods = {
  /** Native "Add folder" dialog; null when cancelled. */
  'shell.pickFolder': { params: z.object({}).strict().default({}), result: z.object({ path: z.string().nullable() }) },
  /** Native "open image file" dialog for a query photo outside the library. */
  'shell.pickImage': { params: z.object({}).strict().default({}), result: z.object({ path: z.string().nullable() }) },
  /** Native "choose a file" dialog for model import (checkpoint or vocabulary). */
  'shell.pickFile': { params: z.object({ title: z.string().max(200).default('Choose a file') }).strict().default({ title: 'Choose a file' }), result: z.object({ path: z.string().nullable() }) },
  /** Native context menu on a photo; "show in folder" is carried out by main itself. */
  'shell.photoMenu': { params: z.object({ photoId: Id }).strict(), result: z.object({ action: PhotoMenuAction }) },
  'shell.showInFolder': { params: z.object({ photoId: Id }).strict(), result: z.object({ shown: z.boolean() }) },
  /** Selected photos' folders in the file manager: one window per distinct folder, at most MAX_REVEAL_FOLDERS. */
  'shell.revealPhotos': {
    params: z.object({ photoIds: z.array(Id).min(1).max(MAX_REVEAL_PHOTOS, `at most ${MAX_REVEAL_PHOTOS} photos at a time`) }).strict(),
    result: z.object({ folders: z.number().int(), shown: z.number().int() }),
  },
  /** Selected photos' originals opened in the user's default app for their type. */
  'shell.openPhotos': {
    params: z.object({ photoIds: z.array(Id).min(1).max(MAX_OPEN_PHOTOS, `at most ${MAX_OPEN_PHOTOS} photos at a time`) }).strict(),
    result: z.object({ opened: z.number().int(), failed: z.number().int() }),
  },
} as const;

export type ShellMethod = keyof typeof shellMethods;
export type ShellParams<M extends ShellMethod> = z.input<(typeof shellMethods)[M]['params']>;
export type ShellResult<M extends ShellMethod> = z.output<(typeof shellMethods)[M]['result']>;
export type PhotoMenuAction = z.output<typeof PhotoMenuAction>;

export const SHELL_METHOD_NAMES = Object.keys(shellMethods) as ShellMethod[];

export function isShellMethod(name: unknown): name is ShellMethod {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(shellMethods, name);
}
