import { Chart, Legend, LinearScale, PointElement, ScatterController, Tooltip, type ChartDataset } from 'chart.js';

Chart.register(ScatterController, LinearScale, PointElement, Tooltip, Legend);

/** Ten distinguishable colours for class labels (and grey for unlabelled data). */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export interface LatentPoint {
  x: number;
  y: number;
  /** the test example's index */
  index: number;
}

/**
 * The test set's encodings on two latent dimensions, one series per class, with a series for
 * the user's drawing. `onHover` gets the hovered example's index (or null).
 */
export class LatentScatter {
  private readonly chart: Chart<'scatter', LatentPoint[]>;

  constructor(canvas: HTMLCanvasElement, codes: Float32Array, n: number, L: number, dims: [number, number], labels: Uint8Array | null, onHover: (index: number | null) => void) {
    const byClass = new Map<number, LatentPoint[]>();
    for (let i = 0; i < n; i++) {
      const c = labels ? labels[i] : -1;
      if (!byClass.has(c)) byClass.set(c, []);
      byClass.get(c)?.push({ x: codes[i * L + dims[0]], y: codes[i * L + dims[1]], index: i });
    }
    const datasets: ChartDataset<'scatter', LatentPoint[]>[] = [...byClass.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([c, points]) => ({ label: c < 0 ? 'test examples' : `class ${c}`, data: points, pointRadius: 2.5, backgroundColor: c < 0 ? '#555' : PALETTE[c % PALETTE.length], borderWidth: 0 }));
    datasets.push({ label: 'your drawing', data: [], pointRadius: 9, pointStyle: 'star', borderColor: '#000', borderWidth: 2, backgroundColor: '#ffd700' });
    this.chart = new Chart<'scatter', LatentPoint[]>(canvas, {
      type: 'scatter',
      data: { datasets },
      options: {
        animation: false,
        responsive: false,
        scales: {
          x: { title: { display: true, text: `z${dims[0] + 1} (posterior mean)` } },
          y: { title: { display: true, text: `z${dims[1] + 1} (posterior mean)` } },
        },
        plugins: {
          legend: { position: 'right' },
          tooltip: { callbacks: { label: (item) => ((item.raw as LatentPoint).index >= 0 ? `test #${(item.raw as LatentPoint).index} (${item.dataset.label})` : 'your drawing') } },
        },
        onHover: (_e, elements) => {
          const el = elements[0];
          const point = el ? (this.chart.data.datasets[el.datasetIndex].data[el.index] as LatentPoint) : null;
          onHover(point && point.index >= 0 ? point.index : null);
        },
      },
    });
  }

  /** Places (or moves) the drawing's star. */
  mark(x: number, y: number): void {
    const drawing = this.chart.data.datasets[this.chart.data.datasets.length - 1];
    drawing.data = [{ x, y, index: -1 }];
    this.chart.update();
  }
}

/** 2-D data: the shipped test examples and samples from the model, on shared axes x1, x2. */
export class PointsScatter {
  private readonly chart: Chart<'scatter', { x: number; y: number }[]>;
  constructor(canvas: HTMLCanvasElement, data: Float32Array, n: number) {
    const points = (a: Float32Array, m: number) => Array.from({ length: m }, (_, i) => ({ x: a[2 * i], y: a[2 * i + 1] }));
    this.chart = new Chart<'scatter', { x: number; y: number }[]>(canvas, {
      type: 'scatter',
      data: {
        datasets: [
          { label: 'test data', data: points(data, n), pointRadius: 2, backgroundColor: '#9e9e9e', borderWidth: 0 },
          { label: 'model samples', data: [], pointRadius: 2, backgroundColor: PALETTE[1], borderWidth: 0 },
        ],
      },
      options: {
        animation: false,
        responsive: false,
        scales: { x: { title: { display: true, text: 'x₁' } }, y: { title: { display: true, text: 'x₂' } } },
        plugins: { legend: { position: 'right' } },
      },
    });
  }

  /** Replaces the samples. */
  show(samples: Float32Array, m: number): void {
    this.chart.data.datasets[1].data = Array.from({ length: m }, (_, i) => ({ x: samples[2 * i], y: samples[2 * i + 1] }));
    this.chart.update();
  }
}
