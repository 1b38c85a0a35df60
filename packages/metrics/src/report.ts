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
}

/** Chart.js (UMD build), inlined so the report works offline. */
function chartJsSource(): string {
  const dir = path.dirname(require.resolve('chart.js'));
  return fs.readFileSync(path.join(dir, 'chart.umd.min.js'), 'utf8').replace(/<\/script/gi, '<\\/script');
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const num = (v: unknown, digits = 2) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '–');
const png = (b?: Buffer) => (b ? `<img alt="" src="data:image/png;base64,${b.toString('base64')}">` : '<p class="none">none</p>');

/**
 * One self-contained HTML page comparing runs: a metrics table, learning curves from
 * metrics.jsonl, sample grids, reconstructions and, for 2-D latents, the aggregate posterior.
 * Plots are drawn by Chart.js, inlined in the page.
 */
export function renderReport(runs: RunReport[], title = 'vaeflow comparison'): string {
  const rows = runs.map((r) => {
    const test = r.metrics.find((m) => m.split === 'test');
    const train = r.metrics.filter((m) => m.split === 'train');
    const last = train[train.length - 1];
    const ev = r.evaluation ?? {};
    return `<tr><td class="name">${esc(r.name)}</td><td>${num(test ? (test.elbo !== undefined ? -Number(test.elbo) : Number(test.nll ?? test.loss)) : undefined)}</td><td>${num(ev.nll)}${ev.k ? ` <span class="k">(K=${esc(ev.k)})</span>` : ''}</td><td>${num(ev.bpd, 3)}</td><td>${num(ev.reconstructionMse, 4)}</td><td>${num(ev.frechetClassifierDistance)}</td><td>${train.length}</td><td>${last ? Math.round(Number(last.examplesPerSec)) : '–'}</td><td>${r.parameters?.toLocaleString('en-US') ?? '–'}</td></tr>`;
  });
  const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  const curves = runs.flatMap((r, i) => [
    { label: `${r.name} (val)`, data: r.metrics.filter((m) => m.split === 'val').map((m) => ({ x: m.epoch, y: -Number(m.elbo ?? -Number(m.loss)) })), borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length] },
    { label: `${r.name} (train)`, data: r.metrics.filter((m) => m.split === 'train').map((m) => ({ x: m.epoch, y: -Number(m.elbo ?? -Number(m.loss)) })), borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length], borderDash: [5, 4] },
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
      return { id: `latent-${i}`, name: r.name, datasets: [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([g, data]) => ({ label: pts.labels ? `class ${g}` : 'z', data, backgroundColor: palette[g % palette.length], pointRadius: 1.5 })) };
    });
  const cards = runs.map((r) => `<section class="run"><h3>${esc(r.name)}</h3>${r.description ? `<p class="desc">${esc(r.description)}</p>` : ''}<div class="pics"><figure>${png(r.samples)}<figcaption>samples from the prior</figcaption></figure><figure>${png(r.reconstructions)}<figcaption>test images and reconstructions</figcaption></figure></div><p class="dir">${esc(r.dir)}</p></section>`);
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
<p>Generated by <code>vaeflow compare</code>. −ELBO and NLL in nats per example (NLL: importance-sampled, from <code>vaeflow eval</code>); FCD is the Fréchet distance in the features of a classifier trained on the same dataset (a Fréchet classifier distance, not FID).</p>
<h2>Metrics</h2>
<table id="metrics"><thead><tr><th>run</th><th>test −ELBO / NLL</th><th>NLL</th><th>bpd</th><th>recon. MSE</th><th>FCD</th><th>epochs</th><th>train ex/s</th><th>parameters</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>
<h2>Learning curves</h2>
<div class="chart"><canvas id="curves"></canvas></div>
${latents.length ? `<h2>Aggregate posterior (2-D latents)</h2>${latents.map((l) => `<div class="latent"><canvas id="${l.id}"></canvas></div>`).join('')}` : ''}
<h2>Samples and reconstructions</h2>
${cards.join('\n')}
<script>${chartJsSource()}</script>
<script>
const curves = ${JSON.stringify(curves)};
new Chart(document.getElementById('curves'), { type: 'line', data: { datasets: curves }, options: { animation: false, maintainAspectRatio: false, parsing: true, scales: { x: { type: 'linear', title: { display: true, text: 'epoch' } }, y: { title: { display: true, text: '−ELBO (nats)' } } } } });
for (const l of ${JSON.stringify(latents)}) new Chart(document.getElementById(l.id), { type: 'scatter', data: { datasets: l.datasets }, options: { animation: false, maintainAspectRatio: false, plugins: { title: { display: true, text: l.name } } } });
</script>
</body></html>
`;
}
