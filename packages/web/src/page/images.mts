/** How one example is laid out as an image: [H, W], [H, W, C] with C of 1 or 3. */
export interface ImageLayout {
  height: number;
  width: number;
  channels: number;
}

/** The image layout of an input shape, or null when the data are not images (vectors, sequences). */
export function imageLayout(inputShape: number[]): ImageLayout | null {
  if (inputShape.length === 2 && inputShape[0] > 1 && inputShape[1] > 1) return { height: inputShape[0], width: inputShape[1], channels: 1 };
  if (inputShape.length === 3 && (inputShape[2] === 1 || inputShape[2] === 3)) return { height: inputShape[0], width: inputShape[1], channels: inputShape[2] };
  return null;
}

/**
 * Draws `count` examples from `rows` (row-major, D = H * W * C each) as a grid of `cols` columns,
 * each pixel `scale` screen pixels, values clamped to [0, 1] and shown as grey levels (white ink on
 * black, as the data are stored). The canvas is resized to fit.
 */
export function drawGrid(canvas: HTMLCanvasElement, rows: Float32Array, count: number, layout: ImageLayout, cols: number, scale: number, gap = 2): void {
  const { height: H, width: W, channels: C } = layout;
  const r = Math.ceil(count / cols);
  const cw = cols * (W * scale + gap) - gap;
  const ch = r * (H * scale + gap) - gap;
  canvas.width = cw;
  canvas.height = ch;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(cw, ch);
  img.data.fill(255); // gaps white
  const D = H * W * C;
  for (let k = 0; k < count; k++) {
    const ox = (k % cols) * (W * scale + gap);
    const oy = Math.floor(k / cols) * (H * scale + gap);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const rgb = [0, 1, 2].map((c) => {
          const v = rows[k * D + (y * W + x) * C + (C === 3 ? c : 0)];
          return Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)));
        });
        for (let sy = 0; sy < scale; sy++)
          for (let sx = 0; sx < scale; sx++) {
            const p = ((oy + y * scale + sy) * cw + ox + x * scale + sx) * 4;
            img.data[p] = rgb[0];
            img.data[p + 1] = rgb[1];
            img.data[p + 2] = rgb[2];
            img.data[p + 3] = 255;
          }
      }
  }
  ctx.putImageData(img, 0, 0);
}

/**
 * Reads a drawing canvas down to one example of the layout: each target pixel is the mean ink
 * (alpha) of its block of canvas pixels, in [0, 1]; `binary` data are thresholded at 0.5 as
 * binarised MNIST was.
 */
export function canvasToExample(canvas: HTMLCanvasElement, layout: ImageLayout, binary: boolean): Float32Array {
  const ctx = canvas.getContext('2d');
  const { height: H, width: W, channels: C } = layout;
  const out = new Float32Array(H * W * C);
  if (!ctx) return out;
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const bx = canvas.width / W;
  const by = canvas.height / H;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      let s = 0;
      let m = 0;
      for (let py = Math.floor(y * by); py < Math.floor((y + 1) * by); py++)
        for (let px = Math.floor(x * bx); px < Math.floor((x + 1) * bx); px++) {
          s += data[(py * canvas.width + px) * 4 + 3] / 255;
          m++;
        }
      const v = m ? s / m : 0;
      for (let c = 0; c < C; c++) out[(y * W + x) * C + c] = binary ? (v > 0.5 ? 1 : 0) : v;
    }
  return out;
}
