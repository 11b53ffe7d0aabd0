/**
 * A synthetic published site shaped like the real one (day shards, month rollups that
 * concatenate them, month summaries, the summary index, the event list, the state naming every
 * day, `last_updated.txt`), and a check that a commit of it is consistent: nothing on the
 * branch names a day whose shard is not there.
 */
import { gitRaw } from './git.js';

export interface SiteOptions {
  /** `YYYY-MM-DD`. */
  readonly firstDay: string;
  readonly days: number;
  /** About this many bytes per day shard. */
  readonly dayBytes: number;
  /** Changes every file's content (a rebuild with different data). */
  readonly version?: number;
}

const EVENT_BYTES = 120;

function compactDay(date: Date): string {
  return date.toISOString().slice(0, 10).replace(/-/g, '');
}

function dayEvents(day: string, count: number, version: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const minute = String(i % 60).padStart(2, '0');
    return `{"channel": "PJSIP-${600 + (i % 40)}", "day": "${day}", "event": "${i % 3 === 0 ? 'incoming-call' : 'outgoing-call'}", "n": ${i}, "timestamp": "${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}T12:${minute}:00Z", "v": ${version}}`;
  });
}

export interface LazyFile {
  readonly path: string;
  /** Built when asked for: a whole-history site does not fit in memory at once. */
  content(): Buffer;
}

/** The files of the whole site, each built on demand (a rollup from its days). */
export function lazySite(options: SiteOptions): LazyFile[] {
  const version = options.version ?? 0;
  const perDay = Math.max(1, Math.round(options.dayBytes / EVENT_BYTES));
  const months = new Map<string, string[]>();
  const state: Record<string, { size: number; ts: string }> = {};
  const files: LazyFile[] = [];
  const start = Date.parse(`${options.firstDay}T00:00:00Z`);
  for (let i = 0; i < options.days; i++) {
    const day = compactDay(new Date(start + i * 86_400_000));
    files.push({ path: `data/date/${day.slice(0, 4)}/${day.slice(4, 6)}/${day}.json`, content: () => Buffer.from(`[${dayEvents(day, perDay, version).join(', ')}]`) });
    const month = day.slice(0, 6);
    months.set(month, [...(months.get(month) ?? []), day]);
    state[`events/prod/${day}`] = { size: perDay * EVENT_BYTES, ts: `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)} 23:59:59+00:00` };
  }
  for (const [month, days] of months) {
    const rollup = () => Buffer.from(`[${days.flatMap((day) => dayEvents(day, perDay, version)).join(', ')}]`);
    files.push({ path: `data/date/${month.slice(0, 4)}/${month.slice(4)}.json`, content: rollup });
    files.push({ path: `data/summary/date/${month.slice(0, 4)}/${month.slice(4)}.json`, content: () => Buffer.from(JSON.stringify({ days, version })) });
  }
  const fixed = (path: string, text: string) => files.push({ path, content: () => Buffer.from(text) });
  fixed('data/summary/index.json', JSON.stringify({ months: [...months.keys()], version }));
  fixed('data/event-list.json', '["incoming-call", "outgoing-call"]');
  fixed('data/updated_state.json', JSON.stringify(state, null, 2));
  fixed('data/last_updated.txt', Object.values(state).at(-1)?.ts ?? '');
  return files;
}

/** Repository-relative paths and contents of the whole site. */
export function syntheticSite(options: SiteOptions): Map<string, Buffer> {
  return new Map(lazySite(options).map((file) => [file.path, file.content()]));
}

/**
 * What in commit `commit` names a day or month that the commit lacks: rollups and month
 * summaries naming missing day shards, the summary index naming missing month summaries, the
 * state naming missing days. Empty when the commit is consistent.
 */
export async function inconsistencies(gitDir: string, commit: string): Promise<string[]> {
  const listing = (await gitRaw(gitDir, ['ls-tree', '-r', '--name-only', commit])).toString('utf8').split('\n').filter(Boolean);
  const present = new Set(listing);
  const show = async (file: string) => (await gitRaw(gitDir, ['show', `${commit}:${file}`])).toString('utf8');
  const shard = (day: string) => `data/date/${day.slice(0, 4)}/${day.slice(4, 6)}/${day}.json`;
  const problems: string[] = [];
  for (const file of listing) {
    if (/^data\/date\/\d{4}\/\d{2}\.json$/.test(file)) {
      const days = new Set((JSON.parse(await show(file)) as { day: string }[]).map((event) => event.day));
      for (const day of days) if (!present.has(shard(day))) problems.push(`${file} names ${day}`);
    } else if (file.startsWith('data/summary/date/')) {
      for (const day of (JSON.parse(await show(file)) as { days: string[] }).days) if (!present.has(shard(day))) problems.push(`${file} names ${day}`);
    }
  }
  if (present.has('data/summary/index.json')) {
    for (const month of (JSON.parse(await show('data/summary/index.json')) as { months: string[] }).months) {
      if (!present.has(`data/summary/date/${month.slice(0, 4)}/${month.slice(4)}.json`)) problems.push(`data/summary/index.json names ${month}`);
    }
  }
  if (present.has('data/updated_state.json')) {
    for (const key of Object.keys(JSON.parse(await show('data/updated_state.json')) as object)) {
      const day = key.slice('events/prod/'.length);
      if (!present.has(shard(day))) problems.push(`data/updated_state.json names ${day}`);
    }
  }
  return problems;
}
