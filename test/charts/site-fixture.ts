/**
 * A realistic published site for the charts page: daily objects as the drainer writes them,
 * built into `data/` by the project's own core, and a static server for it that records what
 * the browser asked for.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { FsObjectStore } from '../../functions/adapters/fs-object-store.js';
import { listSourceDays, planBuild } from '../../functions/core/build-plan.js';
import { type Layout } from '../../functions/core/layouts.js';
import { buildMonth } from '../../functions/core/month-build.js';
import { finishSite } from '../../functions/core/site-finish.js';
import { seededRandom } from '../../functions/core/random.js';
import { startStaticServer as startSiteServer } from '../../local/static-server.js';

export interface GeneratedEvent {
  /** `YYYY-MM-DD`. */
  readonly date: string;
  readonly event: string;
  /** The name the site files it under: the line's `endpoint`. */
  readonly channel: string;
}

export interface FixtureOptions {
  readonly first: string;
  readonly last: string;
  /** Days with no daily object at all. */
  readonly missing?: readonly string[];
  /** Days whose daily object is empty. */
  readonly empty?: readonly string[];
  readonly seed?: number;
}

/** Weighted like the real data: a few events and channels make most of the traffic. */
const EVENTS: ReadonlyArray<[string, number]> = [
  ['outgoing-portland', 30],
  ['incoming-dialtone', 18],
  ['menu-main', 14],
  ['outgoing-dialtone-wakeup', 9],
  ['voicemail-leave', 7],
  ['operator', 6],
  ['outgoing-911', 1],
  ['directory', 5],
  ['conference-join', 4],
  ['hold-music', 3],
  ['community-events', 3],
  ['wildcard-line', 2],
  ['ivr-spanish', 2],
  ['outgoing-longdistance', 2],
  ['voicemail-check', 2],
  ['info-futel', 1],
  ['test-call', 1],
  ['blocked-number', 1],
];
const CHANNELS: ReadonlyArray<[string, number]> = [
  ['655', 20],
  ['630', 16],
  ['610', 12],
  ['668', 9],
  ['705', 8],
  ['620', 6],
  ['640', 5],
  ['680', 4],
  ['690', 3],
  ['700', 3],
  ['710', 2],
  ['715', 2],
  ['720', 2],
  ['725', 1],
  ['730', 1],
  ['735', 1],
  ['740', 1],
  ['voip-pdx', 1],
];

/**
 * The long tail: many menu options, each rare. More names than the summary gives series of its
 * own, so the page's handling of events without a series is exercised too.
 */
const RARE_EVENTS = Array.from({ length: 120 }, (_, i) => `ivr-option-${String(i + 1).padStart(3, '0')}`);
const RARE_SHARE = 0.015;

function pick(weights: ReadonlyArray<[string, number]>, r: number): string {
  const total = weights.reduce((sum, [, w]) => sum + w, 0);
  let x = r * total;
  for (const [name, w] of weights) {
    if ((x -= w) < 0) return name;
  }
  return (weights[weights.length - 1] as [string, number])[0];
}

export function eachDate(first: string, last: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= Date.parse(`${last}T00:00:00Z`); t += 86_400_000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

/** The events of each day that has a daily object (an empty day maps to no events). */
export function generateEvents(options: FixtureOptions): Map<string, GeneratedEvent[]> {
  const next = seededRandom(options.seed ?? 20250301);
  const missing = new Set(options.missing ?? []);
  const empty = new Set(options.empty ?? []);
  const days = new Map<string, GeneratedEvent[]>();
  eachDate(options.first, options.last).forEach((date, i) => {
    if (missing.has(date)) return;
    const events: GeneratedEvent[] = [];
    days.set(date, events);
    if (empty.has(date)) return;
    // A weekly rhythm, slow growth, and noise: enough shape to see in a chart.
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    const base = 220 + i * 0.8 + (weekday === 5 || weekday === 6 ? 90 : 0);
    const count = Math.round(base * (0.75 + next() * 0.5));
    for (let j = 0; j < count; j++) {
      const event = next() < RARE_SHARE ? (RARE_EVENTS[Math.floor(next() * RARE_EVENTS.length)] as string) : pick(EVENTS, next());
      events.push({ date, event, channel: pick(CHANNELS, next()) });
    }
  });
  return days;
}

function dailyObject(events: readonly GeneratedEvent[]): string {
  // One event every few seconds: distinct timestamps, so no line is a duplicate of another.
  return events
    .map(({ date, event, channel }, i) => {
      const second = Math.floor((i * 86_400) / events.length);
      const time = new Date(Date.parse(`${date}T00:00:00Z`) + second * 1000).toISOString().slice(11, 19);
      return `{"timestamp": "${date}T${time}+00:00", "channel": "PJSIP/${channel}-${(i + 1).toString(16).padStart(8, '0')}", "endpoint": "${channel}", "event": "${event}"}\n`;
    })
    .join('');
}

/**
 * Writes the daily objects into `sourceDir` (modified at `modified`, which becomes the site's
 * `lastUpdated`) and builds the site's `data/` under `siteRoot` with the `date` and `summary`
 * layouts.
 */
export async function buildFixtureSite(days: ReadonlyMap<string, readonly GeneratedEvent[]>, sourceDir: string, siteRoot: string, modified: Date): Promise<void> {
  for (const [date, events] of days) {
    const file = path.join(sourceDir, 'events', 'prod', date.replaceAll('-', ''));
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, dailyObject(events));
    await fs.utimes(file, modified, modified);
  }
  const source = new FsObjectStore(sourceDir);
  const site = new FsObjectStore(path.join(siteRoot, 'data'));
  const layouts: Layout[] = ['date', 'summary'];
  const { days: sourceDays } = await listSourceDays(source);
  const plan = planBuild(sourceDays, new Map());
  const writeDays = new Set(plan.changed.map((d) => d.day));
  const eventNames = new Set<string>();
  for (const [month, monthDays] of plan.months) {
    const built = await buildMonth(site, source, month, monthDays, { layouts, writeDays });
    for (const name of built.eventNames) eventNames.add(name);
  }
  await finishSite(site, { layouts, built: plan.changed, eventNames, state: new Map() });
}

export interface StaticServer {
  readonly origin: string;
  /** Paths requested, in order, without query strings. */
  readonly requests: string[];
  /** Paths answered with 503, to play a failed load. */
  readonly failing: Set<string>;
  close(): Promise<void>;
}

/** The project's static server over `root`, recording requests and failing the paths asked. */
export async function startStaticServer(root: string): Promise<StaticServer> {
  const requests: string[] = [];
  const failing = new Set<string>();
  const server = await startSiteServer({
    root,
    intercept: (pathname) => {
      requests.push(pathname);
      return failing.has(pathname) ? 503 : undefined;
    },
  });
  return { origin: server.origin, requests, failing, close: () => server.close() };
}

/** Writes `buildChartsFiles()` output under the site root. */
export async function writeFiles(root: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
  for (const [name, bytes] of files) {
    const file = path.join(root, ...name.split('/'));
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, bytes);
  }
}
