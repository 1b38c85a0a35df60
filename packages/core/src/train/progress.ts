import cliProgress from 'cli-progress';

/** Progress of a long loop (an epoch, an evaluation): a live bar on a terminal, a few plain lines otherwise (CI logs). */
export class EpochProgress {
  private bar: cliProgress.SingleBar | null = null;
  private lastLine = 0;
  private readonly started = Date.now();

  private readonly unit: string;
  private readonly rateUnit: string;
  private readonly showLoss: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
    tty = !!process.stderr.isTTY,
    o: { unit?: string; rateUnit?: string; showLoss?: boolean } = {},
  ) {
    this.unit = o.unit ?? 'steps';
    this.rateUnit = o.rateUnit ?? 'ex/s';
    this.showLoss = o.showLoss ?? true;
    if (tty) {
      this.bar = new cliProgress.SingleBar(
        {
          format: `${label} |{bar}| {value}/{total} ${this.unit}${this.showLoss ? ' | loss {loss}' : ''} | {rate} ${this.rateUnit} | ETA {eta_formatted}`,
          hideCursor: true,
          stream: process.stderr,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, { loss: '-', rate: '-' });
    }
  }

  update(step: number, loss: number, examplesPerSec: number): void {
    const payload = { loss: loss.toFixed(2), rate: Math.round(examplesPerSec) };
    if (this.bar) {
      this.bar.update(step, payload);
      return;
    }
    const now = Date.now();
    if (now - this.lastLine > 30_000 || step === this.total) {
      this.lastLine = now;
      const eta = step > 0 ? (((now - this.started) / step) * (this.total - step)) / 1000 : 0;
      this.write(`${this.label} ${step}/${this.total} ${this.unit}${this.showLoss ? ` | loss ${payload.loss}` : ''} | ${payload.rate} ${this.rateUnit} | ETA ${Math.round(eta)}s`);
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}
