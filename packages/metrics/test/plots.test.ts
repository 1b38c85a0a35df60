import { describe, expect, it } from 'vitest';
import { lineChartSvg, scatterChartSvg } from '../src/plots.js';

describe('lineChartSvg', () => {
  it('draws lines with bands, axis titles, ticks and a legend naming each series', async () => {
    const svg = await lineChartSvg({
      title: 'validation curves',
      xTitle: 'epoch',
      yTitle: 'validation −ELBO (nats)',
      series: [
        { name: 'vae', points: [1, 2, 3].map((x) => ({ x, y: 100 - x, lo: 99 - x, hi: 101 - x })) },
        { name: 'planar <K=10>', points: [1, 2, 3].map((x) => ({ x, y: 102 - x })) },
      ],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of ['validation curves', 'epoch', 'validation −ELBO (nats)', 'vae', 'planar &lt;K=10&gt;']) expect(svg).toContain(text);
    // a band (area) and two lines
    expect(svg).toMatch(/class="mark-area role-mark/);
    expect(svg).toMatch(/class="mark-line role-mark/);
    expect(svg).toMatch(/class="mark-text role-axis-title"/);
    expect(svg).toMatch(/class="mark-text role-legend-label"/);
  });
});

describe('scatterChartSvg', () => {
  it('draws points with axis titles and a legend for categories or a colour scale for values', async () => {
    const points = Float32Array.from([0, 0, 1, 1, -1, 0.5, 0.5, -1]);
    const byLabel = await scatterChartSvg({
      points,
      labels: [0, 1, 0, 1],
      labelNames: ['upper moon', 'lower moon'],
      labelTitle: 'moon',
      xTitle: 'z₁',
      yTitle: 'z₂',
      title: 'aggregate posterior',
      range: [-2, 2],
    });
    for (const text of ['aggregate posterior', 'z₁', 'z₂', 'upper moon', 'lower moon', 'moon']) expect(byLabel).toContain(text);
    expect((byLabel.match(/<path[^>]*class="[^"]*"|role-mark/g) ?? []).length).toBeGreaterThan(0);
    expect(byLabel).toMatch(/class="mark-symbol role-mark/);
    const byValue = await scatterChartSvg({ points, values: [-3, -2, -1, 0], valueTitle: 'log p(z)', xTitle: 'x', yTitle: 'y' });
    expect(byValue).toContain('log p(z)');
    expect(byValue).toMatch(/role-legend-gradient|gradient/);
  });
});
