/// <reference lib="dom.iterable" />
/**
 * The page's two kinds of uPlot chart: events per day over time, and a horizontal bar ranking.
 * Each render builds a fresh plot: it is cheap at these sizes, and a range change can switch
 * the daily chart between bars and an area, which uPlot cannot do in place.
 */
import uPlot from 'uplot';
import { DAY_MS, type DailyColumns, type NamedCount } from '../aggregate.js';
import { formatCount, formatWeekday } from '../format.js';

/** Colours and fonts, read from the stylesheet's custom properties so light and dark both work. */
export interface Theme {
  readonly bar: string;
  readonly barSoft: string;
  readonly line: string;
  readonly grid: string;
  readonly text: string;
  readonly mutedText: string;
  readonly font: string;
}

export function readTheme(element: Element = document.documentElement): Theme {
  const style = getComputedStyle(element);
  const value = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const family = value('--font-sans', 'system-ui, sans-serif');
  return {
    bar: value('--chart-bar', '#2f6fdf'),
    barSoft: value('--chart-bar-soft', 'rgba(47, 111, 223, 0.22)'),
    line: value('--chart-line', '#d9480f'),
    grid: value('--chart-grid', 'rgba(0, 0, 0, 0.08)'),
    text: value('--text', '#1f2933'),
    mutedText: value('--muted', '#5f6b7a'),
    font: family,
  };
}

const px = (size: number) => Math.round(size * uPlot.pxRatio);

/** Up to this many days the daily chart draws one bar per day; past it, bars get too thin to read. */
const MAX_BAR_DAYS = 120;
/** The average needs enough days around it to say more than the bars themselves. */
const MIN_AVERAGE_DAYS = 21;
export const AVERAGE_WINDOW = 7;

const utc = (seconds: number) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC');

export class DailyChart {
  private plot: uPlot | null = null;

  constructor(private readonly container: HTMLElement) {}

  /** `average` is the trailing average for each day of `columns`, or null to leave it out. */
  render(columns: DailyColumns, average: ReadonlyArray<number | null> | null, theme: Theme, width: number): void {
    this.destroy();
    const x = columns.times.map((t) => t / 1000);
    const bars = columns.times.length <= MAX_BAR_DAYS;
    const withAverage = average !== null && columns.times.length >= MIN_AVERAGE_DAYS;
    const data: uPlot.AlignedData = withAverage ? [x, columns.counts, [...average]] : [x, columns.counts];
    const first = columns.times[0] ?? 0;
    const last = columns.times[columns.times.length - 1] ?? first;
    const halfDay = DAY_MS / 2000;
    const max = Math.max(0, ...columns.counts.map((c) => c ?? 0));
    const axis = { stroke: theme.mutedText, font: `12px ${theme.font}`, grid: { stroke: theme.grid, width: 1 }, ticks: { show: false } };
    const series: uPlot.Series[] = [
      { label: 'Day', value: (_u, v) => (v == null ? '–' : formatWeekday(v * 1000)) },
      bars
        ? {
            label: 'Events',
            stroke: theme.bar,
            fill: theme.bar,
            width: 0,
            paths: uPlot.paths.bars!({ size: [0.78, 28, 1], radius: 0.15 }),
            points: { show: false },
            value: (u, v) => legendCount(u, v),
          }
        : {
            label: 'Events',
            stroke: theme.bar,
            fill: theme.barSoft,
            width: 1,
            points: { show: false },
            value: (u, v) => legendCount(u, v),
          },
    ];
    if (withAverage) {
      series.push({
        label: `${AVERAGE_WINDOW}-day average`,
        stroke: theme.line,
        width: 2,
        points: { show: false },
        spanGaps: true,
        value: (_u, v) => (v == null ? '–' : formatCount(v)),
      });
    }
    const options: uPlot.Options = {
      width,
      height: chartHeight(width),
      tzDate: utc,
      series,
      scales: {
        // Half a day either side, so the first and last bars are not cut in half.
        x: { time: true, range: () => [first / 1000 - (bars ? halfDay : 0), last / 1000 + (bars ? halfDay : 0)] },
        y: { range: (_u, _min, dataMax) => uPlot.rangeNum(0, Math.max(dataMax ?? 0, max, 1), 0.1, true) },
      },
      axes: [
        { ...axis, grid: { show: false }, space: 60 },
        { ...axis, size: 56, values: (_u, splits) => splits.map((v) => formatCount(v)) },
      ],
      legend: { live: true },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      padding: [12, 12, 0, 0],
    };
    this.plot = new uPlot(options, data, this.container);
  }

  resize(width: number): void {
    this.plot?.setSize({ width, height: chartHeight(width) });
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = null;
  }
}

/** A gap under the cursor is a day without data; with no cursor there is nothing to show. */
function legendCount(u: uPlot, value: number | null): string {
  if (u.cursor.idx == null) return '–';
  return value == null ? 'no data' : formatCount(value);
}

function chartHeight(width: number): number {
  return width < 560 ? 220 : 300;
}

const ROW_HEIGHT = 28;

/** A ranking as horizontal bars: names on the left, largest on top, counts at the bar ends. */
export class RankingChart {
  private plot: uPlot | null = null;
  private rows: readonly NamedCount[] = [];

  constructor(private readonly container: HTMLElement) {}

  render(rows: readonly NamedCount[], theme: Theme, width: number): void {
    this.destroy();
    this.rows = rows;
    if (rows.length === 0) return;
    const font = `12px ${theme.font}`;
    const maxLabel = Math.round(width * 0.42);
    const labels = rows.map((row) => fitLabel(row.name === '' ? '(empty)' : row.name, maxLabel, font));
    const labelWidth = Math.min(measureWidest(labels, font), maxLabel) + 10;
    const countWidth = measureWidest(rows.map((row) => formatCount(row.count)), `600 ${font}`) + 10;
    const max = Math.max(...rows.map((row) => row.count));
    const barArea = Math.max(40, width - labelWidth - countWidth - 8);
    const options: uPlot.Options = {
      width,
      height: rows.length * ROW_HEIGHT + 8,
      series: [{}, { label: 'Events', fill: theme.bar, stroke: theme.bar, width: 0, paths: uPlot.paths.bars!({ size: [0.66, 20], radius: 0.2 }), points: { show: false } }],
      scales: {
        x: { time: false, ori: 1, dir: -1, range: () => [-0.5, rows.length - 0.5] },
        // Room past the longest bar for its count label.
        y: { ori: 0, dir: 1, range: () => [0, max * (1 + countWidth / barArea)] },
      },
      axes: [
        {
          side: 3,
          size: labelWidth,
          gap: 6,
          font,
          stroke: theme.text,
          grid: { show: false },
          ticks: { show: false },
          splits: () => rows.map((_, i) => i),
          values: (_u, splits) => splits.map((i) => labels[i] ?? ''),
        },
        { show: false, grid: { show: false } },
      ],
      legend: { show: false },
      cursor: { show: false },
      padding: [4, 8, 4, 0],
      hooks: { draw: [(u) => this.drawCounts(u, theme)] },
    };
    this.plot = new uPlot(options, [rows.map((_, i) => i), rows.map((row) => row.count)], this.container);
  }

  private drawCounts(u: uPlot, theme: Theme): void {
    const { ctx } = u;
    ctx.save();
    ctx.font = `600 ${px(12)}px ${theme.font}`;
    ctx.fillStyle = theme.text;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    this.rows.forEach((row, i) => {
      ctx.fillText(formatCount(row.count), u.valToPos(row.count, 'y', true) + px(6), u.valToPos(i, 'x', true));
    });
    ctx.restore();
  }

  resize(width: number, theme: Theme): void {
    // Label and bar widths depend on the width: lay the chart out again.
    if (this.plot) this.render(this.rows, theme, width);
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = null;
  }
}

let measuring: CanvasRenderingContext2D | null = null;

function textWidth(text: string, font: string): number {
  measuring ??= document.createElement('canvas').getContext('2d');
  if (!measuring) return 7 * text.length;
  measuring.font = font;
  return measuring.measureText(text).width;
}

function measureWidest(texts: readonly string[], font: string): number {
  return Math.ceil(Math.max(0, ...texts.map((t) => textWidth(t, font))));
}

/** The name, cut with an ellipsis to fit the axis; the table next to the chart has it in full. */
function fitLabel(name: string, maxWidth: number, font: string): string {
  if (textWidth(name, font) <= maxWidth) return name;
  const chars = [...name];
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (textWidth(`${chars.slice(0, mid).join('')}…`, font) <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return `${chars.slice(0, lo).join('')}…`;
}
