// RGBA → RGB by dropping alpha (not flattening it): the model input drops alpha this way, on every path
// (the index pass's decodes and the HEIC decoder's worker).
export function rgbaToRgb(rgba: Uint8Array | Uint8ClampedArray, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let i = 0, j = 0; i < pixels * 4; i += 4, j += 3) {
    out[j] = rgba[i]!;
    out[j + 1] = rgba[i + 1]!;
    out[j + 2] = rgba[i + 2]!;
  }
  return out;
}
