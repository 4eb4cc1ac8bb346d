// Live curves with uPlot: loss (train, its EMA and validation), validation accuracy, learning rate.
// Points arrive one progress event at a time; the charts redraw at most once per animation
// frame, so a fast run never floods the main thread with redraws.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom';
import type { Trace } from './trace';

const COLORS = { train: '#2563eb', ema: '#0b1f5c', val: '#dc2626', acc: '#059669', lr: '#7c3aed' };

const HEIGHT = 170;

function chartOpts(title: string, width: number, series: uPlot.Series[], yLabel: string, yRange?: [number, number]): uPlot.Options {
  return {
    title,
    width,
    height: HEIGHT,
    scales: { x: { time: false }, ...(yRange ? { y: { range: yRange } } : {}) },
    axes: [{ label: 'step' }, { label: yLabel, size: 60 }],
    series: [{ label: 'step' }, ...series],
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
  };
}

/** A chart's width from its box (the grid decides the box; uPlot needs pixels). */
const width = (box: HTMLElement) => Math.max(220, Math.floor(box.clientWidth || 420));

const line = (label: string, stroke: string): uPlot.Series => ({ label, stroke, width: 1.5, spanGaps: true, points: { show: false } });

/** Three charts in `host`; `setTrace` schedules a redraw on the next animation frame. */
export class RunCharts {
  readonly root: HTMLElement;
  private loss: uPlot;
  private metric: uPlot;
  private lr: uPlot;
  private metricBox: HTMLElement;
  private pending: Trace | null = null;
  private frame = 0;
  private resize: ResizeObserver;

  constructor(host: HTMLElement) {
    const lossBox = h('div', { class: 'chart chart-loss', role: 'img', 'aria-label': 'Training loss, its moving average and validation loss by step' });
    this.metricBox = h('div', { class: 'chart chart-metric', role: 'img', 'aria-label': 'Validation accuracy by step' });
    const lrBox = h('div', { class: 'chart chart-lr', role: 'img', 'aria-label': 'Learning rate by step' });
    this.root = h('div', { class: 'charts' }, lossBox, this.metricBox, lrBox);
    host.appendChild(this.root);
    const empty: uPlot.AlignedData = [[], []];
    const points = { show: true, size: 4 };
    // the raw loss is noisy: a thin pale line under the smoothed one (the engine's EMA, the one people watch)
    const raw: uPlot.Series = { ...line('train', COLORS.train), width: 1, alpha: 0.45 };
    const ema: uPlot.Series = { ...line('train (smoothed)', COLORS.ema), width: 2 };
    this.loss = new uPlot(chartOpts('Loss', width(lossBox), [raw, ema, { ...line('validation', COLORS.val), points }], 'loss'), [[], [], [], []], lossBox);
    this.metric = new uPlot(chartOpts('Validation accuracy', width(this.metricBox), [{ ...line('accuracy', COLORS.acc), points }], 'accuracy', [0, 1]), empty, this.metricBox);
    this.lr = new uPlot(chartOpts('Learning rate', width(lrBox), [line('lr', COLORS.lr)], 'lr'), empty, lrBox);
    const boxes: [HTMLElement, uPlot][] = [
      [lossBox, this.loss],
      [this.metricBox, this.metric],
      [lrBox, this.lr],
    ];
    this.resize = new ResizeObserver(() => {
      for (const [box, chart] of boxes) if (!box.hidden) chart.setSize({ width: width(box), height: HEIGHT });
    });
    for (const [box] of boxes) this.resize.observe(box);
  }

  /** Shows the validation-accuracy chart (not for regression, which has no accuracy). */
  setClassification(on: boolean): void {
    this.metricBox.hidden = !on;
    this.root.classList.toggle('no-metric', !on);
  }

  setTrace(t: Trace): void {
    this.pending = t;
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.flush());
  }

  private flush(): void {
    this.frame = 0;
    const t = this.pending;
    this.pending = null;
    if (!t) return;
    // uPlot keeps references to the arrays it is given; hand it copies so that later pushes
    // into the trace cannot change a chart between two redraws.
    const x = t.step.slice();
    this.loss.setData([x, t.train.slice(), t.ema.slice(), t.val.slice()]);
    this.metric.setData([x, t.acc.slice()]);
    this.lr.setData([x, t.lr.slice()]);
  }

  destroy(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.resize.disconnect();
    this.loss.destroy();
    this.metric.destroy();
    this.lr.destroy();
    this.root.remove();
  }
}
