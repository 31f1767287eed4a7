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

/** One drift metric of a model version over its windows (one point per window, by the window's end). */
export interface MetricSeries {
  metric: string;
  /** Window ends, in seconds since the epoch, ascending. */
  times: number[];
  scores: (number | null)[];
  thresholds: number[];
  /** True where the window opened a drift episode for this metric (DriftDetected). */
  detected: boolean[];
}

/**
 * A small chart of one drift metric over time: its score per window, its threshold as a dashed line, and the windows
 * that opened an episode marked with a red point. data-points says how many windows are drawn, data-detections how
 * many are marked (the browser test reads both).
 */
export function metricChart(series: MetricSeries): HTMLElement {
  const element = figure(`${series.metric} over time`, 'chart small');
  element.dataset.points = String(series.times.length);
  element.dataset.detections = String(series.detected.filter(Boolean).length);
  const marks = series.scores.map((s, i) => (series.detected[i] ? s : null));
  const data: uPlot.AlignedData = [series.times, series.scores, series.thresholds, marks];
  new uPlot({
    width: 360, height: 180,
    title: series.metric,
    scales: { x: { time: true } },
    legend: { show: false },
    series: [
      { label: 'window end' },
      { label: 'score', stroke: '#2563eb', width: 1.5, spanGaps: true, points: { show: series.times.length < 60, size: 4 } },
      { label: 'threshold', stroke: '#64748b', width: 1, dash: [6, 4], points: { show: false } },
      { label: 'detected', stroke: '#dc2626', width: 0, paths: () => null, points: { show: true, size: 9, fill: '#dc2626' } },
    ],
  }, data, element);
  return element;
}

/**
 * Reference vs current distribution of one feature, as a window's report has it: {edges, reference, current} (edges
 * one longer than the counts; without edges, the bins are numbered). Drawn as two step lines over the bins.
 */
export function distributionChart(name: string, edges: number[] | undefined, reference: number[], current: number[]): HTMLElement {
  const element = figure(`${name}: reference vs current`, 'chart distribution');
  const bins = Math.max(reference.length, current.length);
  const xs = edges && edges.length === bins + 1 ? edges : Array.from({ length: bins + 1 }, (_, i) => i);
  // A step line needs the last bin's value at its right edge too.
  const close = (v: number[]) => [...v, v[v.length - 1] ?? null];
  element.dataset.bins = String(bins);
  new uPlot({
    width: 360, height: 200,
    title: name,
    scales: { x: { time: false } },
    series: [
      { label: name },
      { label: 'reference', stroke: '#64748b', width: 2, paths: uPlot.paths.stepped!({ align: 1 }), points: { show: false } },
      { label: 'current', stroke: '#dc2626', width: 2, paths: uPlot.paths.stepped!({ align: 1 }), points: { show: false } },
    ],
  }, [xs, close(reference), close(current)], element);
  return element;
}

function figure(label: string, className: string): HTMLElement {
  const element = document.createElement('figure');
  element.className = className;
  element.setAttribute('role', 'img');
  element.setAttribute('aria-label', label);
  return element;
}
