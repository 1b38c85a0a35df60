/** Where the core variables of a partition AEF sit in the image. */
export type CorePartition = 'centre' | 'corner';

/**
 * The flattened indices (channel-last, row-major: (r * W + c) * C + ch) of the L core
 * variables of an image of shape [H, W, C] (seed 003, sec. 3.2): `centre` takes the pixels
 * nearest the image centre, `corner` fills the four corners in turn, nearest first. All
 * channels of a pixel are taken before the next pixel. Returned in ascending order.
 */
export function coreIndices(partition: CorePartition, shape: number[], L: number): number[] {
  if (shape.length !== 3) throw new Error(`a ${partition} partition needs image data [H, W, C]; this dataset's examples have shape [${shape}]`);
  const [H, W, C] = shape;
  if (!(L >= 1 && L < H * W * C)) throw new Error(`a ${partition} partition needs 1 <= latentDim < ${H * W * C} (the image size), got ${L}`);
  const pixels: { r: number; c: number; key: number[] }[] = [];
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      if (partition === 'centre') {
        const dr = r - (H - 1) / 2;
        const dc = c - (W - 1) / 2;
        pixels.push({ r, c, key: [dr * dr + dc * dc, Math.atan2(dr, dc), r * W + c] });
      } else {
        const corners = [
          [0, 0],
          [0, W - 1],
          [H - 1, 0],
          [H - 1, W - 1],
        ];
        const d = corners.map(([cr, cc]) => (r - cr) ** 2 + (c - cc) ** 2);
        const nearest = d.indexOf(Math.min(...d));
        pixels.push({ r, c, key: [d[nearest], nearest, r * W + c] });
      }
    }
  }
  pixels.sort((p, q) => p.key[0] - q.key[0] || p.key[1] - q.key[1] || p.key[2] - q.key[2]);
  const out: number[] = [];
  for (const p of pixels) {
    for (let ch = 0; ch < C && out.length < L; ch++) out.push((p.r * W + p.c) * C + ch);
    if (out.length === L) break;
  }
  return out.sort((a, b) => a - b);
}
