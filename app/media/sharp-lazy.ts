// sharp (libvips) is loaded on first use, not when the service starts: its native module takes ~0.2 s
// to load (0.19–0.24 s measured at load 6), which a query on a library photo (the cold-start path:
// stored vectors, the text tower, the fusion head) never needs.
import type SharpFactory from 'sharp';

let loading: Promise<typeof SharpFactory> | null = null;

export function loadSharp(): Promise<typeof SharpFactory> {
  loading ??= import('sharp').then((m) => m.default);
  return loading;
}
