/**
 * Paper-ready figures as SVG, drawn with Vega-Lite (axes, ticks, titles and a legend come from
 * the library, not from hand-placed pixels). SVG renders in markdown docs and scales for print.
 */

/** One line of a chart, with an optional band (e.g. a 95% interval over seeds) around it. */
export interface LineSeries {
  name: string;
  points: { x: number; y: number; lo?: number; hi?: number }[];
}

export interface LineChartOptions {
  series: LineSeries[];
  xTitle: string;
  yTitle: string;
  title?: string;
  width?: number;
  height?: number;
  /** y range shown (values outside are clipped); default: fitted to the data */
  yDomain?: [number, number];
  /** x range shown */
  xDomain?: [number, number];
}

type VegaModule = typeof import('vega', { with: { 'resolution-mode': 'import' }});
type VegaLiteModule = typeof import('vega-lite', { with: { 'resolution-mode': 'import' }});

let libs: Promise<[VegaModule, VegaLiteModule]> | null = null;
const load = () => (libs ??= Promise.all([import('vega'), import('vega-lite')]));

/** Renders a Vega-Lite specification to an SVG string (headless: no canvas, no browser). */
export async function vegaLiteSvg(spec: object): Promise<string> {
  const [vega, vl] = await load();
  const compiled = vl.compile(spec as Parameters<VegaLiteModule['compile']>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Lines with their bands, one colour per series, a legend naming them. */
export async function lineChartSvg(o: LineChartOptions): Promise<string> {
  const rows = o.series.flatMap((s) => s.points.filter((p) => Number.isFinite(p.y)).map((p) => ({ series: s.name, x: p.x, y: p.y, lo: p.lo ?? p.y, hi: p.hi ?? p.y })));
  const order = o.series.map((s) => s.name);
  const color = { field: 'series', type: 'nominal', title: null, sort: order, legend: { orient: 'right', symbolType: 'stroke', labelLimit: 0, symbolStrokeWidth: 3, symbolOpacity: 1 } };
  const x = { field: 'x', type: 'quantitative', title: o.xTitle, ...(o.xDomain ? { scale: { domain: o.xDomain } } : {}) };
  const yScale = o.yDomain ? { domain: o.yDomain, zero: false } : { zero: false };
  const hasBands = rows.some((r) => r.lo !== r.hi);
  return vegaLiteSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(o.title ? { title: o.title } : {}),
    width: o.width ?? 560,
    height: o.height ?? 320,
    background: 'white',
    data: { values: rows },
    layer: [
      // The bands share the lines' colours and legend (whose symbols are drawn opaque).
      ...(hasBands ? [{ mark: { type: 'area', opacity: 0.2, clip: true }, encoding: { x, y: { field: 'lo', type: 'quantitative', scale: yScale }, y2: { field: 'hi' }, color } }] : []),
      { mark: { type: 'line', clip: true, strokeWidth: 1.5 }, encoding: { x, y: { field: 'y', type: 'quantitative', title: o.yTitle, scale: yScale }, color } },
    ],
  });
}

export interface ScatterChartOptions {
  /** x, y pairs, interleaved ([x0, y0, x1, y1, ...]) */
  points: ArrayLike<number>;
  /** a category per point (e.g. the moon, the digit): one colour each, named in the legend */
  labels?: ArrayLike<number>;
  /** what the label numbers mean, by index (default: the numbers) */
  labelNames?: string[];
  /** a value per point (e.g. log p(z)): a colour scale with its title */
  values?: ArrayLike<number>;
  valueTitle?: string;
  labelTitle?: string;
  xTitle: string;
  yTitle: string;
  title?: string;
  /** the square range shown on both axes (points outside are clipped) */
  range?: [number, number];
  size?: number;
}

/** Points with axes, ticks, titles and a legend (categories or a colour scale), equal scales on both axes. */
export async function scatterChartSvg(o: ScatterChartOptions): Promise<string> {
  const n = Math.floor(o.points.length / 2);
  const rows = Array.from({ length: n }, (_, i) => ({
    x: o.points[2 * i],
    y: o.points[2 * i + 1],
    ...(o.labels ? { label: o.labelNames?.[o.labels[i]] ?? String(o.labels[i]) } : {}),
    ...(o.values ? { value: o.values[i] } : {}),
  }));
  const scale = o.range ? { domain: o.range, nice: false } : { zero: false };
  const color = o.labels
    ? { field: 'label', type: 'nominal', title: o.labelTitle ?? null }
    : o.values
      ? { field: 'value', type: 'quantitative', title: o.valueTitle ?? 'value', scale: { scheme: 'viridis' } }
      : { value: '#4c78a8' };
  const side = o.size ?? 360;
  return vegaLiteSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(o.title ? { title: o.title } : {}),
    width: side,
    height: side,
    background: 'white',
    data: { values: rows },
    mark: { type: 'circle', size: 6, opacity: 0.6, clip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: o.xTitle, scale },
      y: { field: 'y', type: 'quantitative', title: o.yTitle, scale },
      color,
    },
  });
}
