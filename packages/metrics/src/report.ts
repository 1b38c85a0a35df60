import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MetricsRecord } from '@vaeflow/core';

/** Everything the comparison report shows about one run. */
export interface RunReport {
  name: string;
  dir: string;
  description?: string;
  metrics: MetricsRecord[];
  /** eval.json of `vaeflow eval`, when it was run */
  evaluation?: Record<string, unknown>;
  parameters?: number;
  /** PNG of samples from the prior */
  samples?: Buffer;
  /** PNG of test images (odd rows) and their reconstructions (even rows) */
  reconstructions?: Buffer;
  /** aggregate posterior means for 2-D latents, n x 2 row-major, with class labels */
  latent?: { points: Float32Array; labels?: Uint8Array };
  /** for 2-D data: test points and samples from the model, each n x 2 row-major */
  pointSamples?: { data: Float32Array; samples: Float32Array };
  /** the run's exported page (`vaeflow export`), as a link relative to the report */
  page?: string;
  /** flow-health.jsonl of the run (`training.flowHealthEvery`): every posterior flow layer's state at logged steps */
  flowHealth?: { step: number; layers: { index: number; id: string; logDetMean: number; logDetStd: number; roundTripError?: number }[] }[];
}

/** Chart.js (UMD build), inlined so the report works offline. */
function chartJsSource(): string {
  const dir = path.dirname(require.resolve('chart.js'));
  return fs.readFileSync(path.join(dir, 'chart.umd.min.js'), 'utf8').replace(/<\/script/gi, '<\\/script');
}

/** JSON for an inline <script>: no "<" can close the script or open a comment (user strings are data, never markup). */
const inlineJson = (v: unknown) =>
  JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const num = (v: unknown, digits = 2) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '–');
const png = (b?: Buffer) => (b ? `<img alt="" src="data:image/png;base64,${b.toString('base64')}">` : '<p class="none">none</p>');

/**
 * One self-contained HTML page comparing runs: a metrics table, learning curves from
 * metrics.jsonl, sample grids, reconstructions and, for 2-D latents, the aggregate posterior.
 * Plots are drawn by Chart.js, inlined in the page.
 */
/** "24 / 32": active latent dimensions of the total, from eval.json's latentUsage. */
function activeUnits(ev: Record<string, unknown>): string {
  const usage = ev.latentUsage as { variance?: unknown[] } | undefined;
  return typeof ev.activeUnits === 'number' && Array.isArray(usage?.variance) ? `${ev.activeUnits} / ${usage.variance.length}` : '–';
}

export function renderReport(runs: RunReport[], title = 'vaeflow comparison'): string {
  const rows = runs.map((r) => {
    const test = r.metrics.find((m) => m.split === 'test');
    const train = r.metrics.filter((m) => m.split === 'train');
    const last = train[train.length - 1];
    const ev = r.evaluation ?? {};
    return `<tr><td class="name">${esc(r.name)}${r.page ? ` <a class="k" href="${esc(r.page)}" title="the model live in the browser (vaeflow export); open it through a web server, e.g. vaeflow serve">page</a>` : ''}</td><td>${num(test ? (test.elbo !== undefined ? -Number(test.elbo) : Number(test.nll ?? test.loss)) : undefined)}${test?.n !== undefined ? ` <span class="k">(n=${esc(Number(test.n).toLocaleString('en-US'))})</span>` : ''}</td><td>${num(ev.nll)}${ev.k ? ` <span class="k">(K=${esc(ev.k)}${ev.n !== undefined ? `, n=${esc(Number(ev.n).toLocaleString('en-US'))}` : ''})</span>` : ''}</td><td>${num(ev.bpd, 3)}</td><td>${num(ev.reconstructionMse, 4)}</td><td>${num(ev.frechetClassifierDistance)}</td><td>${activeUnits(ev)}</td><td>${num((ev.elboSurgery as { mutualInformation?: number } | undefined)?.mutualInformation)}</td><td>${num((ev.elboSurgery as { marginalKl?: number } | undefined)?.marginalKl)}</td><td>${num((ev.ais as { nll?: number } | undefined)?.nll)}${ev.ais ? ` <span class="k">(${esc((ev.ais as { steps: number }).steps)} steps, n=${esc((ev.ais as { n: number }).n)})</span>` : ''}</td><td>${num((ev.bdmc as { gap?: number } | undefined)?.gap, 3)}</td><td>${num((ev.inferenceGaps as { approximation?: number } | undefined)?.approximation)}</td><td>${num((ev.inferenceGaps as { amortisation?: number } | undefined)?.amortisation)}</td><td>${train.length}</td><td>${last ? Math.round(Number(last.examplesPerSec)) : '–'}</td><td>${r.parameters?.toLocaleString('en-US') ?? '–'}</td></tr>`;
  });
  const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  const curves = runs.flatMap((r, i) => [
    {
      label: `${r.name} (val)`,
      data: r.metrics.filter((m) => m.split === 'val').map((m) => ({ x: m.epoch, y: -Number(m.elbo ?? -Number(m.loss)) })),
      borderColor: palette[i % palette.length],
      backgroundColor: palette[i % palette.length],
    },
    {
      label: `${r.name} (train)`,
      data: r.metrics.filter((m) => m.split === 'train').map((m) => ({ x: m.epoch, y: -Number(m.elbo ?? -Number(m.loss)) })),
      borderColor: palette[i % palette.length],
      backgroundColor: palette[i % palette.length],
      borderDash: [5, 4],
    },
  ]);
  const latents = runs
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.latent)
    .map(({ r, i }) => {
      const pts = r.latent!;
      const n = pts.points.length / 2;
      const groups = new Map<number, { x: number; y: number }[]>();
      for (let j = 0; j < n; j++) {
        const g = pts.labels ? pts.labels[j] : 0;
        if (!groups.has(g)) groups.set(g, []);
        groups.get(g)!.push({ x: +pts.points[2 * j].toFixed(4), y: +pts.points[2 * j + 1].toFixed(4) });
      }
      return {
        id: `latent-${i}`,
        name: r.name,
        axes: ['z₁', 'z₂'],
        datasets: [...groups.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([g, data]) => ({ label: pts.labels ? `class ${g}` : 'z', data, backgroundColor: palette[g % palette.length], pointRadius: 1.5 })),
      };
    });
  const xy = (a: Float32Array) => Array.from({ length: a.length / 2 }, (_, j) => ({ x: +a[2 * j].toFixed(4), y: +a[2 * j + 1].toFixed(4) }));
  const pointSamples = runs
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.pointSamples)
    .map(({ r, i }) => ({
      id: `samples-${i}`,
      name: r.name,
      axes: ['x₁', 'x₂'],
      datasets: [
        { label: 'test data', data: xy(r.pointSamples!.data), backgroundColor: '#9e9e9e', pointRadius: 1.5 },
        { label: 'samples from the model', data: xy(r.pointSamples!.samples), backgroundColor: palette[1], pointRadius: 1.5 },
      ],
    }));
  // Latent usage: I(x; z) and the marginal KL per epoch (training.usageEvery), KL per dimension (vaeflow eval).
  const usageCurves = runs.flatMap((r, i) => {
    const val = r.metrics.filter((m) => m.split === 'val' && typeof m.mutualInformation === 'number');
    if (!val.length) return [];
    const color = palette[i % palette.length];
    return [
      { label: `${r.name}: I(x; z)`, data: val.map((m) => ({ x: m.epoch, y: Number(m.mutualInformation) })), borderColor: color, backgroundColor: color },
      { label: `${r.name}: marginal KL`, data: val.map((m) => ({ x: m.epoch, y: Number(m.marginalKl) })), borderColor: color, backgroundColor: color, borderDash: [5, 4] },
    ];
  });
  const klBars = runs
    .map((r, i) => ({ r, i, kl: (r.evaluation?.latentUsage as { klPerDim?: number[] } | undefined)?.klPerDim }))
    .filter((x): x is { r: RunReport; i: number; kl: number[] } => Array.isArray(x.kl) && x.kl.length > 0)
    .map(({ r, i, kl }) => {
      const order = kl.map((v, d) => [v, d] as const).sort((a, b) => b[0] - a[0]);
      return { id: `kl-${i}`, name: r.name, labels: order.map(([, d]) => `z${d + 1}`), values: order.map(([v]) => +v.toFixed(4)), color: palette[i % palette.length] };
    });
  // Flow health: per run, each posterior flow layer's mean log-det over steps (left axis) and its inverse round-trip error (right axis, log scale).
  const healthCharts = runs
    .map((r, i) => ({ r, i, records: r.flowHealth ?? [] }))
    .filter(({ records }) => records.length > 0)
    .map(({ r, i, records }) => {
      const layers = records[0].layers.map((l) => ({ index: l.index, id: l.id }));
      const datasets = layers.flatMap((l, j) => {
        const color = palette[j % palette.length];
        const at = (f: (x: { logDetMean: number; roundTripError?: number }) => number | undefined) =>
          records.flatMap((rec) => {
            const layer = rec.layers.find((x) => x.index === l.index);
            const y = layer ? f(layer) : undefined;
            return y !== undefined && Number.isFinite(y) ? [{ x: rec.step, y }] : [];
          });
        const roundTrip = at((x) => (x.roundTripError !== undefined ? Math.max(x.roundTripError, 1e-12) : undefined));
        return [
          { label: `flow ${l.index} (${l.id}): mean log|det J|`, data: at((x) => x.logDetMean), borderColor: color, backgroundColor: color, yAxisID: 'y', pointRadius: 1 },
          ...(roundTrip.length
            ? [{ label: `flow ${l.index} (${l.id}): round-trip error`, data: roundTrip, borderColor: color, backgroundColor: color, borderDash: [4, 3], yAxisID: 'y2', pointRadius: 1 }]
            : []),
        ];
      });
      return { id: `health-${i}`, name: r.name, datasets, roundTrip: datasets.some((d) => d.yAxisID === 'y2') };
    });
  const cards = runs.map(
    (r) =>
      `<section class="run"><h3>${esc(r.name)}</h3>${r.description ? `<p class="desc">${esc(r.description)}</p>` : ''}<div class="pics"><figure>${png(r.samples)}<figcaption>samples from the prior</figcaption></figure><figure>${png(r.reconstructions)}<figcaption>test images and reconstructions</figcaption></figure></div><p class="dir">${esc(r.dir)}${r.page ? ` · <a href="${esc(r.page)}">the model live in the browser</a> (open it through a web server: <code>vaeflow serve ${esc(path.join(r.dir, 'page'))}</code>)` : ''}</p></section>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:1rem 0}th,td{border-bottom:1px solid #ddd;padding:.35rem .7rem;text-align:right}
th{background:#f4f4f4}td.name,th:first-child{text-align:left}.k{color:#888;font-size:.85em}
.run{display:inline-block;vertical-align:top;margin:0 1.5rem 1.5rem 0}.pics{display:flex;gap:1rem}figure{margin:0}
figcaption,.desc,.dir,.none{color:#666;font-size:.85em;max-width:480px}img{image-rendering:pixelated;max-width:480px}
.chart{max-width:900px;height:380px}.latent{display:inline-block;width:420px;height:420px;margin-right:1rem}
</style></head><body>
<h1>${esc(title)}</h1>
<p>Generated by <code>vaeflow compare</code>. −ELBO and NLL in nats per example (NLL: importance-sampled, from <code>vaeflow eval</code>); n is the number of test examples each number averages, K the importance samples per example; bpd and reconstruction MSE share the NLL's n; FCD is the Fréchet distance in the features of a classifier trained on the same dataset (a Fréchet classifier distance, not FID).</p>
<h2>Metrics</h2>
<table id="metrics"><thead><tr><th>run</th><th>test −ELBO / NLL</th><th>NLL</th><th>bpd</th><th>recon. MSE</th><th>FCD</th><th>active units</th><th title="I(x; z), ELBO surgery">I(x;z)</th><th title="KL(q(z) || p(z)) of the aggregate posterior">marginal KL</th><th title="annealed importance sampling">AIS NLL</th><th title="BDMC upper minus lower bound on simulated data">BDMC gap</th><th title="log p(x) minus the ELBO of the best posterior of the family (Cremer et al. 2018)">approx. gap</th><th title="the best posterior's ELBO minus the encoder's">amort. gap</th><th>epochs</th><th>train ex/s</th><th>parameters</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>
<h2>Learning curves</h2>
<div class="chart"><canvas id="curves"></canvas></div>
${latents.length ? `<h2>Aggregate posterior (2-D latents)</h2>${latents.map((l) => `<div class="latent"><canvas id="${l.id}"></canvas></div>`).join('')}` : ''}
${pointSamples.length ? `<h2>Samples (2-D data)</h2>${pointSamples.map((l) => `<div class="latent"><canvas id="${l.id}"></canvas></div>`).join('')}` : ''}
${usageCurves.length || klBars.length ? '<h2>Latent usage</h2><p class="desc">I(x; z) and the aggregate posterior\'s KL to the prior per epoch (ELBO surgery on validation examples, <code>training.usageEvery</code>); KL of each latent dimension on the test set, largest first (<code>vaeflow eval</code>): dimensions near zero are collapsed.</p>' : ''}
${usageCurves.length ? '<div class="chart"><canvas id="usage"></canvas></div>' : ''}
${klBars.map((b) => `<div class="latent"><canvas id="${b.id}"></canvas></div>`).join('')}
${healthCharts.length ? `<h2>Flow health</h2><p class="desc">Every posterior flow layer on a training batch at the logged steps (<code>training.flowHealthEvery</code>): the mean log-determinant (solid, left axis) and, for invertible layers, the largest |f⁻¹(f(z)) − z| (dashed, right axis, log scale). A layer whose log-det drifts or whose round trip grows is where a run goes wrong first.</p>${healthCharts.map((h) => `<div class="chart"><canvas id="${h.id}"></canvas></div>`).join('')}` : ''}
<h2>Samples and reconstructions</h2>
${cards.join('\n')}
<script>${chartJsSource()}</script>
<script>
const curves = ${inlineJson(curves)};
new Chart(document.getElementById('curves'), { type: 'line', data: { datasets: curves }, options: { animation: false, maintainAspectRatio: false, parsing: true, scales: { x: { type: 'linear', title: { display: true, text: 'epoch' } }, y: { title: { display: true, text: '−ELBO (nats)' } } } } });
const usage = ${inlineJson(usageCurves)};
if (usage.length) new Chart(document.getElementById('usage'), { type: 'line', data: { datasets: usage }, options: { animation: false, maintainAspectRatio: false, scales: { x: { type: 'linear', title: { display: true, text: 'epoch' } }, y: { title: { display: true, text: 'nats' } } } } });
for (const b of ${inlineJson(klBars)}) new Chart(document.getElementById(b.id), { type: 'bar', data: { labels: b.labels, datasets: [{ label: 'KL(q(z_d|x) || p(z_d)), test mean', data: b.values, backgroundColor: b.color }] }, options: { animation: false, maintainAspectRatio: false, plugins: { title: { display: true, text: b.name } }, scales: { x: { title: { display: true, text: 'latent dimension, by KL' } }, y: { title: { display: true, text: 'KL (nats)' } } } } });
for (const h of ${inlineJson(healthCharts)}) new Chart(document.getElementById(h.id), { type: 'line', data: { datasets: h.datasets }, options: { animation: false, maintainAspectRatio: false, plugins: { title: { display: true, text: h.name } }, scales: { x: { type: 'linear', title: { display: true, text: 'step' } }, y: { position: 'left', title: { display: true, text: 'mean log|det J| (nats)' } }, ...(h.roundTrip ? { y2: { type: 'logarithmic', position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: 'round-trip error' } } } : {}) } } });
for (const l of ${inlineJson([...latents, ...pointSamples])}) new Chart(document.getElementById(l.id), { type: 'scatter', data: { datasets: l.datasets }, options: { animation: false, maintainAspectRatio: false, plugins: { title: { display: true, text: l.name } }, scales: { x: { title: { display: true, text: l.axes[0] } }, y: { title: { display: true, text: l.axes[1] } } } } });
</script>
</body></html>
`;
}

/** A page of tables and mean curves with interval bands (a sweep's report). Cells are plain text, escaped here. */
export interface TablesReport {
  title: string;
  intro?: string;
  tables: { caption: string; header: string[]; rows: string[][] }[];
  /** one line per group: the mean, with a band from lo to hi */
  curves?: { title: string; xLabel: string; yLabel: string; series: { label: string; points: { x: number; mean: number; lo: number; hi: number }[] }[] };
}

/** One self-contained HTML page for a {@link TablesReport}; the plot is drawn by the inlined Chart.js. */
export function renderTablesReport(r: TablesReport): string {
  const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  const tables = r.tables.map(
    (t) =>
      `<h2>${esc(t.caption)}</h2><table><thead><tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${t.rows.map((row) => `<tr>${row.map((c, i) => `<td${i === 0 ? ' class="name"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('\n')}</tbody></table>`,
  );
  // Each series: a transparent lower edge, an upper edge filled down to it, and the mean line.
  const datasets = (r.curves?.series ?? []).flatMap((s, i) => {
    const color = palette[i % palette.length];
    const pts = s.points.filter((p) => Number.isFinite(p.mean));
    return [
      {
        label: `${s.label} lower band`,
        data: pts.map((p) => ({ x: p.x, y: Number.isFinite(p.lo) ? p.lo : p.mean })),
        borderColor: 'transparent',
        backgroundColor: 'transparent',
        pointRadius: 0,
        bandOf: i,
      },
      {
        label: `${s.label} band`,
        data: pts.map((p) => ({ x: p.x, y: Number.isFinite(p.hi) ? p.hi : p.mean })),
        borderColor: 'transparent',
        backgroundColor: `${color}33`,
        pointRadius: 0,
        fill: '-1',
        hidden: false,
        bandOf: i,
      },
      { label: s.label, data: pts.map((p) => ({ x: p.x, y: p.mean })), borderColor: color, backgroundColor: color, pointRadius: 2 },
    ];
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:1rem 0}th,td{border-bottom:1px solid #ddd;padding:.35rem .7rem;text-align:right}
th{background:#f4f4f4}td.name,th:first-child{text-align:left}.chart{max-width:900px;height:420px}p{max-width:900px}
</style></head><body>
<h1>${esc(r.title)}</h1>
${r.intro ? `<p>${esc(r.intro)}</p>` : ''}
${tables.join('\n')}
${r.curves ? `<h2>${esc(r.curves.title)}</h2><div class="chart"><canvas id="curves"></canvas></div>` : ''}
<script>${chartJsSource()}</script>
<script>
const datasets = ${inlineJson(datasets)};
const curves = ${inlineJson(r.curves ? { x: r.curves.xLabel, y: r.curves.yLabel } : null)};
if (curves) new Chart(document.getElementById('curves'), { type: 'line', data: { datasets }, options: { animation: false, maintainAspectRatio: false, scales: { x: { type: 'linear', title: { display: true, text: curves.x } }, y: { title: { display: true, text: curves.y } } }, plugins: { legend: { labels: { filter: (item) => !item.text.endsWith('band') } } } } });
</script>
</body></html>
`;
}
