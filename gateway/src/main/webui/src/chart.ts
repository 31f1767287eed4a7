import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * The live loss curve: train and validation loss by step on a canvas (uPlot draws 100k points smoothly). Points
 * arrive in batches; one redraw per animation frame at most. The element's data-points attribute says how many
 * steps are drawn and data-draw-ms how long the last draw took, from the data to the drawn canvas (the browser test reads both).
 */
export class LossCurve {
  readonly element: HTMLElement;
  private readonly steps: number[] = [];
  private readonly train: (number | null)[] = [];
  private readonly valid: (number | null)[] = [];
  private plot: uPlot | null = null;
  private pending = false;
  private drawStarted = 0;

  constructor(title: string) {
    this.element = document.createElement('figure');
    this.element.className = 'chart';
    this.element.setAttribute('role', 'img');
    this.element.setAttribute('aria-label', title);
    this.element.dataset.points = '0';
  }

  /** Adds a step's losses (a step seen before is replaced: a resumed attempt trains it again). */
  add(step: number, train: number | null, valid: number | null): void {
    const last = this.steps.length - 1;
    if (last >= 0 && step <= this.steps[last]) {
      const at = this.steps.indexOf(step);
      if (at >= 0) {
        this.train[at] = train ?? this.train[at];
        this.valid[at] = valid ?? this.valid[at];
        this.schedule();
        return;
      }
    }
    this.steps.push(step);
    this.train.push(train);
    this.valid.push(valid);
    this.schedule();
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  private draw(): void {
    this.drawStarted = performance.now();
    const data: uPlot.AlignedData = [this.steps, this.train, this.valid];
    if (!this.plot) {
      const width = Math.max(320, Math.min(this.element.clientWidth || 800, 1000));
      this.plot = new uPlot({
        width, height: 280,
        scales: { x: { time: false } },
        series: [
          { label: 'step' },
          { label: 'train loss', stroke: '#2563eb', width: 1.5, points: { show: false } },
          { label: 'validation loss', stroke: '#dc2626', width: 2, spanGaps: true, points: { show: true, size: 5 } },
        ],
        axes: [{ label: 'step' }, { label: 'loss' }],
        // uPlot draws after setData returns: the time is taken when the canvas is drawn.
        hooks: { draw: [() => { this.element.dataset.drawMs = (performance.now() - this.drawStarted).toFixed(1); }] },
      }, data, this.element);
    } else {
      this.plot.setData(data);
    }
    this.element.dataset.points = String(this.steps.length);
  }

  destroy(): void {
    this.plot?.destroy();
  }
}
