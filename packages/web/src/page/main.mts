import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { Random, tf } from '@vaeflow/core/browser';
import { canvasToExample, drawGrid, imageLayout, type ImageLayout } from './images.mjs';
import { LatentScatter, PointsScatter } from './latent-chart.mjs';
import { decode, encode, latentActivity, loadPageModel, pluginOf, samplePrior, type PageModel } from './model.mjs';

/** What the page exposes on `window.vaeflow`, for scripts and tests. */
export interface PageApi {
  /** resolves once the model is loaded and the first samples are drawn; times in ms from the navigation's start */
  ready: Promise<{ backend: string; loadMs: number; firstSampleMs: number; readyMs: number }>;
  /** the decoder mean for rows of latents */
  decode(z: number[][]): number[][];
  /** posterior means for rows of data */
  encode(x: number[][]): number[][];
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const SAMPLE_GRID = 8;
const INTERPOLATION_STEPS = 10;
const TRAVERSAL_DIMS = 10;
const MANIFOLD = 15;

/**
 * The backend: `?backend=webgl|wasm|cpu` when given, else WebGL where the browser has it, then
 * wasm, then plain JavaScript.
 */
async function chooseBackend(): Promise<string> {
  setWasmPaths(new URL('./', location.href).href);
  const asked = new URLSearchParams(location.search).get('backend');
  for (const b of asked ? [asked] : ['webgl', 'wasm', 'cpu']) {
    try {
      if (await tf.setBackend(b)) {
        await tf.ready();
        return b;
      }
    } catch {
      // not available here: try the next one
    }
  }
  throw new Error(`no TensorFlow.js backend could start (asked: ${asked ?? 'webgl, wasm, cpu'})`);
}

function status(text: string, error = false): void {
  const el = $('status');
  el.textContent = text;
  el.className = error ? 'error' : '';
}

function rowsOf(flat: Float32Array, n: number, d: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from(flat.subarray(i * d, (i + 1) * d)));
}

/** Shows examples of data that are not images as text (the dataset's `pageDescriber`). */
export interface PageDescriber {
  describe(row: Float32Array, inputShape: number[]): string;
  validity?(row: Float32Array, inputShape: number[]): string | null;
}

/** Starts the page with the run's bundled plugin modules (and the dataset's describer, for data that are not images). */
export function startPage(pluginModules: Record<string, unknown>[], describer?: PageDescriber): PageApi {
  let resolveReady: (v: { backend: string; loadMs: number; firstSampleMs: number; readyMs: number }) => void = () => undefined;
  let rejectReady: (e: unknown) => void = () => undefined;
  const ready = new Promise<{ backend: string; loadMs: number; firstSampleMs: number; readyMs: number }>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  let pm: PageModel | null = null;
  const api: PageApi = {
    ready,
    decode: (z) => {
      if (!pm) throw new Error('the model is still loading');
      return rowsOf(decode(pm, Float32Array.from(z.flat()), z.length), z.length, pm.inputDim);
    },
    encode: (x) => {
      if (!pm) throw new Error('the model is still loading');
      return rowsOf(encode(pm, Float32Array.from(x.flat()), x.length), x.length, pm.model.latentDim);
    },
  };
  // Times are from the navigation's start (performance's time origin): fetching the page, its
  // script and weights, choosing the backend, building the model, drawing the first samples.
  (async () => {
    const backend = await chooseBackend();
    pm = await loadPageModel(new URL('./', location.href), pluginModules.map(pluginOf));
    const loadMs = Math.round(performance.now());
    const firstSampleMs = Math.round(setUp(pm, describer));
    const timing = { backend, loadMs, firstSampleMs, readyMs: Math.round(performance.now()) };
    status(`${backend} backend · model loaded ${loadMs} ms after opening the page · first samples at ${firstSampleMs} ms · every section ready at ${timing.readyMs} ms`);
    resolveReady(timing);
  })().catch((e) => {
    status(`could not start: ${(e as Error).message}`, true);
    console.error(e);
    rejectReady(e);
  });
  return api;
}

/** Wires every section to the model, samples first; returns when the first samples were drawn (ms from the navigation's start). */
function setUp(pm: PageModel, describer?: PageDescriber): number {
  const { meta, model } = pm;
  // a dataset that describes its examples (sequences) is shown as text even when its shape could be drawn
  const layout = describer ? null : imageLayout(meta.dataset.inputShape);
  const L = model.latentDim;
  const src = meta.source;
  document.title = `${meta.run} · vaeflow`;
  $('title').textContent = meta.run;
  const facts = [`${model.kind} model`, `${L}-dimensional latent`, `${meta.dataset.name} ${meta.dataset.inputShape.join('×')}`];
  if (src.testNegElbo !== undefined) facts.push(`test −ELBO ${src.testNegElbo.toFixed(2)} nats`);
  if (src.isNll !== undefined) facts.push(`IS-NLL ${src.isNll.toFixed(2)} nats (K = ${src.isK})`);
  facts.push(`${src.checkpoint} checkpoint${src.ema ? ' (weights’ moving average)' : ''}`);
  $('facts').textContent = facts.join(' · ');
  // A conditional model decodes for one class at a time: every section redraws when it changes.
  const redraw: (() => void)[] = [];
  if (pm.conditionDim) {
    const picker = $<HTMLSelectElement>('class');
    pm.conditionNames.forEach((name, c) => picker.append(new Option(name, String(c))));
    picker.addEventListener('change', () => {
      pm.selectedClass = Number(picker.value);
      for (const f of redraw) f();
    });
    $('class-picker').hidden = false;
  }
  const isPoints = meta.dataset.inputShape.length === 1 && meta.dataset.inputShape[0] === 2 && !describer;
  if (!layout && !isPoints) {
    $('not-images').hidden = false;
    $('not-images').textContent = describer
      ? `${meta.dataset.name} examples are not images: each is shown as the dataset describes it${describer.validity ? ', with ✗ and the reason where it is not valid' : ''}.`
      : `This page draws image data; ${meta.dataset.name} examples have shape [${meta.dataset.inputShape.join(', ')}], so only the numbers below are shown.`;
  }
  /** one example as text: the dataset's description (and validity), else its numbers */
  const asText = (row: Float32Array) => {
    if (!describer) return Array.from(row, (v) => v.toFixed(3)).join(' ');
    const why = describer.validity?.(row, meta.dataset.inputShape);
    return `${why ? '✗' : describer.validity ? '✓' : ''} ${describer.describe(row, meta.dataset.inputShape)}${why ? `   (${why})` : ''}`.trim();
  };
  const rng = new Random(`page:${Date.now()}`);
  const canDecode = typeof model.decodeMean === 'function';
  const n = meta.examples.n;
  /** Draws rows as images about `px` screen pixels wide each (whole multiples of the data's pixels). */
  const show = (canvas: HTMLCanvasElement, rows: Float32Array, count: number, cols: number, px: number) => {
    if (layout) drawGrid(canvas, rows, count, layout, cols, Math.max(1, Math.round(px / layout.width)));
    else {
      // data that are not images: one line of text per example, in an element that keeps the canvas's id
      const text = Array.from({ length: count }, (_, i) => `${String(i + 1).padStart(2)}. ${asText(rows.subarray(i * pm.inputDim, (i + 1) * pm.inputDim))}`).join('\n');
      const el = document.getElementById(canvas.id) as HTMLElement;
      if (el.tagName === 'PRE') el.textContent = text;
      else el.replaceWith(Object.assign(document.createElement('pre'), { id: canvas.id, className: 'examples', textContent: text }));
    }
  };

  // samples from the prior, with a temperature where the prior is N(0, I)
  const temperature = $<HTMLInputElement>('temperature');
  // 2-D points are plotted, 1,000 samples over the test data; other data as images or text
  const pointsChart = isPoints ? new PointsScatter(replaceWithCanvas('samples', 620, 460), pm.examples, n) : null;
  const sample = () => {
    const count = isPoints ? 1000 : layout ? SAMPLE_GRID * SAMPLE_GRID : SAMPLE_GRID * 2; // points, a grid of images, or lines of text
    const T = Number(temperature.value);
    $('temperature-value').textContent = T.toFixed(2);
    const x = canDecode ? decode(pm, samplePrior(pm, count, rng, T), count) : (tf.tidy(() => model.generate(count, rng).dataSync()) as Float32Array).slice();
    if (pointsChart) pointsChart.show(x, count);
    else show($('samples'), x, count, SAMPLE_GRID, 84);
  };
  $('samples-note').textContent = canDecode
    ? `Decoder means E[x|z] at z drawn from the prior${pm.standardNormalPrior ? '; a temperature T draws z = T·ε' : ''}.`
    : `Samples x = f(z) of the ${model.kind} model, z drawn from its base distribution.`;
  if (!(canDecode && pm.standardNormalPrior)) {
    temperature.disabled = true;
    temperature.title = canDecode ? 'a temperature scales samples of a N(0, I) prior; this model’s prior is not one' : 'this model has no decoder to sample through';
  }
  $('sample').addEventListener('click', sample);
  temperature.addEventListener('input', sample);
  redraw.push(sample);
  sample();
  const firstSampleAt = performance.now();

  if (!canDecode || L === 0) {
    for (const id of ['traversal-section', 'interpolation-section', 'latent-section', 'draw-section']) $(id).hidden = true;
    return firstSampleAt;
  }
  const codes = encode(pm, pm.examples, n, pm.labels);
  const activity = latentActivity(codes, n, L);
  const byActivity = [...activity.keys()].sort((a, b) => activity[b] - activity[a]);

  // latent traversal around a point: one slider for each of the most active dimensions
  const z0 = new Float32Array(L);
  const sliders = $('sliders');
  const dims = byActivity.slice(0, Math.min(TRAVERSAL_DIMS, L));
  const traverse = () => show($('traversal'), decode(pm, z0, 1), 1, 1, 224);
  const inputs = dims.map((d) => {
    const row = document.createElement('label');
    row.className = 'slider';
    const input = Object.assign(document.createElement('input'), { type: 'range', min: '-3', max: '3', step: '0.05', value: '0' });
    input.dataset.dim = String(d);
    const value = document.createElement('output');
    value.textContent = '0.00';
    input.addEventListener('input', () => {
      z0[d] = Number(input.value);
      value.textContent = z0[d].toFixed(2);
      traverse();
    });
    row.append(`z${d + 1} (activity ${activity[d].toFixed(2)})`, input, value);
    sliders.append(row);
    return { input, value, d };
  });
  redraw.push(traverse);
  const moveTo = (z: ArrayLike<number>) => {
    z0.set(z);
    for (const s of inputs) {
      s.input.value = String(z0[s.d]);
      s.value.textContent = z0[s.d].toFixed(2);
    }
    traverse();
  };
  $('traverse-random').addEventListener('click', () => {
    const i = rng.int(n);
    moveTo(codes.subarray(i * L, (i + 1) * L));
    $('traverse-from').textContent = `from test example #${i}`;
  });
  $('traverse-zero').addEventListener('click', () => {
    moveTo(new Float32Array(L));
    $('traverse-from').textContent = 'from z = 0';
  });
  $('traversal-note').textContent =
    dims.length < L
      ? `The ${dims.length} most active of ${L} dimensions (activity = variance of the posterior mean over the test examples shown; active above 0.01).`
      : `All ${L} dimensions (activity = variance of the posterior mean over the test examples; active above 0.01).`;
  traverse();

  // interpolation between two test examples through the latent space
  const ia = $<HTMLInputElement>('interp-a');
  const ib = $<HTMLInputElement>('interp-b');
  ia.max = ib.max = String(n - 1);
  const interpolate = () => {
    const a = Math.min(n - 1, Math.max(0, Number(ia.value) | 0));
    const b = Math.min(n - 1, Math.max(0, Number(ib.value) | 0));
    const path = new Float32Array(INTERPOLATION_STEPS * L);
    for (let s = 0; s < INTERPOLATION_STEPS; s++) {
      const w = s / (INTERPOLATION_STEPS - 1);
      for (let d = 0; d < L; d++) path[s * L + d] = (1 - w) * codes[a * L + d] + w * codes[b * L + d];
    }
    const decoded = decode(pm, path, INTERPOLATION_STEPS);
    const D = pm.inputDim;
    const row = new Float32Array((INTERPOLATION_STEPS + 2) * D);
    row.set(pm.examples.subarray(a * D, (a + 1) * D), 0);
    row.set(decoded, D);
    row.set(pm.examples.subarray(b * D, (b + 1) * D), (INTERPOLATION_STEPS + 1) * D);
    show($('interpolation'), row, INTERPOLATION_STEPS + 2, INTERPOLATION_STEPS + 2, 84);
  };
  ia.addEventListener('change', interpolate);
  ib.addEventListener('change', interpolate);
  $('interp-random').addEventListener('click', () => {
    ia.value = String(rng.int(n));
    ib.value = String(rng.int(n));
    interpolate();
  });
  ib.value = String(Math.min(1, n - 1));
  redraw.push(interpolate);
  interpolate();

  // the latent space: test encodings on the two most active dimensions, and the decoded manifold of a 2-D latent
  const plane: [number, number] = L === 1 ? [0, 0] : [byActivity[0], byActivity[1]];
  const hoverCanvas = $<HTMLCanvasElement>('hover');
  const scatter = new LatentScatter($('scatter'), codes, n, L, plane, pm.labels, (i) => {
    if (i === null) return;
    show(hoverCanvas, pm.examples.subarray(i * pm.inputDim, (i + 1) * pm.inputDim), 1, 1, 112);
    $('hover-label').textContent = `test #${i}${pm.labels ? `, class ${pm.labels[i]}` : ''}`;
  });
  $('latent-note').textContent =
    L === 2
      ? 'The latent space is 2-D: every test example shown where the encoder puts it (posterior mean).'
      : `Projection on the two most active of ${L} dimensions, z${plane[0] + 1} and z${plane[1] + 1}.`;
  if (L === 2 && layout) {
    const manifold = () => drawManifold($('manifold'), pm, layout, codes, n);
    redraw.push(manifold);
    manifold();
  } else $('manifold-figure').hidden = true;

  // draw an example and see its reconstruction and its place in the latent space
  if (layout)
    redraw.push(
      setUpDrawing(
        pm,
        layout,
        (z) => scatter.mark(z[plane[0]], z[plane[1]]),
        (z) => moveTo(z),
      ),
    );
  else $('draw-section').hidden = true;
  return firstSampleAt;
}

/** A tick label with enough decimals for ticks a quarter of `span` apart. */
function tick(v: number, span: number): string {
  return v.toFixed(Math.max(0, Math.min(4, 1 - Math.floor(Math.log10(Math.abs(span) / 4 || 1)))));
}

/** A fresh canvas of the given size in place of the element with this id (which keeps the id). */
function replaceWithCanvas(id: string, width: number, height: number): HTMLCanvasElement {
  const c = Object.assign(document.createElement('canvas'), { id, width, height });
  $(id).replaceWith(c);
  return c;
}

/** The decoded 2-D manifold: decoder means on a grid over the codes' range, with axes. */
function drawManifold(canvas: HTMLCanvasElement, pm: PageModel, layout: ImageLayout, codes: Float32Array, n: number): void {
  const range = (d: number) => {
    const v = Array.from({ length: n }, (_, i) => codes[i * 2 + d]).sort((a, b) => a - b);
    return [v[Math.floor(0.01 * (n - 1))], v[Math.ceil(0.99 * (n - 1))]];
  };
  const [x0, x1] = range(0);
  const [y0, y1] = range(1);
  const z = new Float32Array(MANIFOLD * MANIFOLD * 2);
  for (let r = 0; r < MANIFOLD; r++)
    for (let c = 0; c < MANIFOLD; c++) {
      const k = r * MANIFOLD + c;
      z[2 * k] = x0 + ((x1 - x0) * c) / (MANIFOLD - 1);
      z[2 * k + 1] = y1 - ((y1 - y0) * r) / (MANIFOLD - 1); // top row is the largest z2
    }
  const grid = document.createElement('canvas');
  drawGrid(grid, decode(pm, z, MANIFOLD * MANIFOLD), MANIFOLD * MANIFOLD, layout, MANIFOLD, Math.max(1, Math.round(42 / layout.width)), 0);
  const m = { left: 56, bottom: 44, top: 8, right: 8 };
  canvas.width = grid.width + m.left + m.right;
  canvas.height = grid.height + m.top + m.bottom;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(grid, m.left, m.top);
  ctx.fillStyle = '#222';
  ctx.font = '12px sans-serif';
  ctx.textAlign = 'center';
  for (let i = 0; i < 5; i++) {
    const f = i / 4;
    const x = m.left + f * grid.width;
    ctx.fillText(tick(x0 + f * (x1 - x0), x1 - x0), x, m.top + grid.height + 16);
    ctx.fillRect(x, m.top + grid.height, 1, 4);
  }
  ctx.fillText('z1', m.left + grid.width / 2, canvas.height - 6);
  ctx.textAlign = 'right';
  for (let i = 0; i < 5; i++) {
    const f = i / 4;
    const y = m.top + grid.height - f * grid.height;
    ctx.fillText(tick(y0 + f * (y1 - y0), y1 - y0), m.left - 8, y + 4);
    ctx.fillRect(m.left - 4, y, 4, 1);
  }
  ctx.save();
  ctx.translate(14, m.top + grid.height / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText('z2', 0, 0);
  ctx.restore();
}

/** The drawing pad: strokes in ink, read down to the data's size, encoded and reconstructed on every stroke. */
function setUpDrawing(pm: PageModel, layout: ImageLayout, onCode: (z: Float32Array) => void, traverseFrom: (z: Float32Array) => void): () => void {
  const pad = $<HTMLCanvasElement>('draw');
  const ctx = pad.getContext('2d');
  if (!ctx) return () => undefined;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.lineWidth = (pad.width / layout.width) * 2.2;
  ctx.strokeStyle = '#000';
  let drawing = false;
  let last: [number, number] | null = null;
  let code: Float32Array | null = null;
  const at = (e: PointerEvent): [number, number] => {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
  };
  const update = () => {
    const x = canvasToExample(pad, layout, pm.meta.dataset.valueKind === 'binary');
    code = encode(pm, x, 1);
    const scale = Math.max(1, Math.round(112 / layout.width));
    drawGrid($('draw-input'), x, 1, layout, 1, scale);
    drawGrid($('draw-recon'), decode(pm, code, 1), 1, layout, 1, scale);
    $('draw-code').textContent = `z = [${Array.from(code, (v) => v.toFixed(2)).join(', ')}]`;
    onCode(code);
  };
  pad.addEventListener('pointerdown', (e) => {
    drawing = true;
    last = at(e);
    pad.setPointerCapture(e.pointerId);
  });
  pad.addEventListener('pointermove', (e) => {
    if (!drawing || !last) return;
    const p = at(e);
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    ctx.lineTo(p[0], p[1]);
    ctx.stroke();
    last = p;
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    last = null;
    update();
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  $('draw-clear').addEventListener('click', () => {
    ctx.clearRect(0, 0, pad.width, pad.height);
    update();
  });
  $('draw-traverse').addEventListener('click', () => {
    if (code) traverseFrom(code);
  });
  update();
  return update;
}
