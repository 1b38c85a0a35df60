import { describe, expect, it } from 'vitest';
import { lineChartSvg } from '../src/plots.js';

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
