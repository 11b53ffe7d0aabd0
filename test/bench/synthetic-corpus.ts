/**
 * Deterministic synthetic buckets for the build benchmark, written as the drainer writes daily
 * objects (one terse line per event, unique, sorted, `\n`-terminated). Two profiles:
 *
 * - `real-shape` ({@link realShapeProfile}): the proportions of the real 1,650-day history.
 * - `long-tail` ({@link longTailProfile}): the benchmark's first corpus, harsher on names (5,000
 *   event names, Zipf-like) and kinder on density and line shapes.
 *
 * Every corpus is described by what was measured on the lines written, not by what the
 * generator meant to write: lines without a non-empty `endpoint`, events that normalisation
 * changes, timestamp forms, the busiest day.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { dayFromDate, type Day } from '../../functions/core/days.js';
import { normaliseLine } from '../../functions/core/normalise.js';
import { seededRandom } from '../../functions/core/random.js';
import { longTailProfile } from './long-tail-corpus.js';
import { realShapeProfile } from './real-shape-corpus.js';

export const PROFILES: Record<'real-shape' | 'long-tail', { days: number; events: number; eventNames: number; generate: Profile }> = {
  'real-shape': { days: 1650, events: 6_240_000, eventNames: 300, generate: realShapeProfile },
  'long-tail': { days: 365, events: 1_500_000, eventNames: 5000, generate: longTailProfile },
};
export type ProfileName = keyof typeof PROFILES;

export interface CorpusOptions {
  readonly root: string;
  readonly profile: ProfileName;
  readonly days: number;
  /** Events over the whole corpus (the profile spreads them as its history does). */
  readonly events: number;
  readonly eventNames: number;
  readonly firstDay?: string;
  readonly seed?: number;
}

/**
 * A profile: given the calendar, the days' lines (in any order, possibly repeated), one day
 * at a time. `events` is a target for the whole corpus; `rand` is the corpus's one source of
 * randomness, so a corpus is the same on every machine.
 */
export type Profile = (calendar: readonly Day[], options: { events: number; eventNames: number }, rand: () => number) => Iterable<{ day: Day; lines: Iterable<string> }>;

export interface CorpusStats {
  readonly profile: ProfileName;
  readonly days: Day[];
  readonly events: number;
  readonly bytes: number;
  /** Share of lines with no `endpoint` or an empty one: the channel goes through the SIP rewrites. */
  readonly withoutEndpointShare: number;
  /** Events whose published form differs from their line (normalisation changed them). */
  readonly changedByNormalisation: number;
  /** Lines per timestamp form (digits shown as 9). */
  readonly timestampForms: Record<string, number>;
  readonly busiestDay: { readonly day: Day; readonly events: number };
}

const STATS_FILE = 'corpus.json';

/**
 * The corpus for these options under `root/events/prod/`, generated once: a later run with
 * the same options finds `root/corpus.json` and re-uses the files.
 */
export async function writeCorpus(options: CorpusOptions): Promise<{ stats: CorpusStats; reused: boolean }> {
  const statsPath = path.join(options.root, STATS_FILE);
  const existing = await fs.readFile(statsPath, 'utf8').then((text) => JSON.parse(text) as CorpusStats & { options: unknown }, () => null);
  const fingerprint = JSON.stringify({ ...options, root: undefined, version: GENERATOR_VERSION });
  if (existing && JSON.stringify(existing.options) === fingerprint) return { stats: existing, reused: true };
  // Written aside and moved into place whole, so a reader never sees half a corpus.
  const partial = `${options.root}.partial-${process.pid}`;
  await fs.rm(partial, { recursive: true, force: true });
  const stats = await generate({ ...options, root: partial });
  await fs.writeFile(path.join(partial, STATS_FILE), JSON.stringify({ ...stats, options: JSON.parse(fingerprint) }));
  await fs.rm(options.root, { recursive: true, force: true });
  await fs.rename(partial, options.root);
  return { stats, reused: false };
}

/** Bumped whenever a profile's output changes, so cached corpora are regenerated. */
const GENERATOR_VERSION = 4;

async function generate(options: CorpusOptions): Promise<CorpusStats> {
  const rand = seededRandom(options.seed ?? 20250301);
  const prod = path.join(options.root, 'events', 'prod');
  await fs.mkdir(prod, { recursive: true });
  const start = new Date(`${options.firstDay ?? '2021-11-23'}T00:00:00Z`);
  const calendar: Day[] = [];
  for (let d = 0; d < options.days; d++) calendar.push(dayFromDate(new Date(start.getTime() + d * 86_400_000)));
  const tally = { events: 0, bytes: 0, withoutEndpoint: 0, changed: 0, forms: new Map<string, number>(), busiest: { day: calendar[0] as Day, events: 0 } };
  let d = 0;
  for (const { day, lines: generated } of PROFILES[options.profile].generate(calendar, options, rand)) {
    const lines = [...new Set(generated)].sort();
    const text = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
    const file = path.join(prod, day);
    await fs.writeFile(file, text);
    // Modification times a day apart, as objects written by the drainer the day after.
    const mtime = new Date(start.getTime() + ++d * 86_400_000);
    await fs.utimes(file, mtime, mtime);
    measure(lines, tally);
    tally.bytes += Buffer.byteLength(text);
    if (lines.length > tally.busiest.events) tally.busiest = { day, events: lines.length };
  }
  return {
    profile: options.profile,
    days: calendar,
    events: tally.events,
    bytes: tally.bytes,
    withoutEndpointShare: Number((tally.withoutEndpoint / tally.events).toFixed(4)),
    changedByNormalisation: tally.changed,
    timestampForms: Object.fromEntries(tally.forms),
    busiestDay: tally.busiest,
  };
}

function measure(lines: readonly string[], tally: { events: number; withoutEndpoint: number; changed: number; forms: Map<string, number> }): void {
  for (const line of lines) {
    const result = normaliseLine(line);
    if (!result.ok) throw new Error(`the generator wrote a line that is not an event: ${line}`);
    tally.events++;
    if (result.entry.json !== line) tally.changed++;
    if (!/"endpoint": "[^"]/.test(line)) tally.withoutEndpoint++;
    const form = result.entry.timestamp.replace(/\d/g, '9');
    tally.forms.set(form, (tally.forms.get(form) ?? 0) + 1);
  }
}

