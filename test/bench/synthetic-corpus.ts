/**
 * A deterministic synthetic bucket with the real history's shape: both line shapes (with and
 * without `endpoint`), all five timestamp forms, SIP channels that need rewriting, `_` in
 * names, and a long tail of event names (Zipf-like), written as the drainer writes them.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { terseLine } from '../../functions/core/classify.js';
import { serialiseDailyObject } from '../../functions/core/daily-object.js';
import { dayFromDate, type Day } from '../../functions/core/days.js';
import { pyDumps } from '../../functions/core/python-json.js';
import { sortByCodePoint } from '../../functions/core/python-json.js';
import { seededRandom } from '../../functions/core/random.js';

export interface CorpusOptions {
  readonly root: string;
  readonly days: number;
  readonly events: number;
  readonly eventNames: number;
  readonly firstDay?: string;
  readonly seed?: number;
}

/** The first days of the history use the drainer's older line shape. */
const OLD_SHAPE_SHARE = 0.2;

const HEAD_EVENTS = ['contact-status-Avail', 'ivr', 'dial-outgoing', 'outgoing-portland', 'outgoing_call', 'outgoing-portland-menu', 'dial-sip-e164', 'operator', 'voicemail_main', 'filterdial'];
const EXTENSIONS = ['405', '415', '505', '510', '520', '615', '625', '630', '640', '655', '670', '680', '695', 'hot-leet', 'twilio-pv'];

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

export function eventNames(count: number): string[] {
  const names = [...HEAD_EVENTS];
  for (let i = names.length; i < count; i++) names.push(i % 7 === 0 ? `menu_option_${i}` : `feature-${i.toString(36)}-x`);
  return names;
}

/** Picks index i with probability ∝ 1/(i+1)^s, by inverse CDF over precomputed weights. */
function zipf(count: number, s: number, rand: () => number): () => number {
  const cdf = new Float64Array(count);
  let total = 0;
  for (let i = 0; i < count; i++) cdf[i] = total += 1 / (i + 1) ** s;
  return () => {
    const x = rand() * total;
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

function timestamp(form: number, day: string, seconds: number, rand: () => number): string {
  const hh = pad(Math.floor(seconds / 3600));
  const mm = pad(Math.floor(seconds / 60) % 60);
  const ss = pad(seconds % 60);
  const base = `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}T${hh}:${mm}:${ss}`;
  switch (form) {
    case 0: return `${base},${pad(Math.floor(rand() * 1000), 3)}-08:00`;
    case 1: return `${base}-08:00`;
    case 2: return `${base}.${pad(Math.floor(rand() * 1000), 3)}Z`;
    case 3: return `${base}.${pad(Math.floor(rand() * 1e6), 6)}`;
    default: return `${base}+00:00`;
  }
}

export interface CorpusStats {
  readonly days: Day[];
  readonly events: number;
  readonly bytes: number;
}

export async function writeCorpus(options: CorpusOptions): Promise<CorpusStats> {
  const rand = seededRandom(options.seed ?? 20250301);
  const names = eventNames(options.eventNames);
  const pickName = zipf(names.length, 1.1, rand);
  const prod = path.join(options.root, 'events', 'prod');
  await fs.mkdir(prod, { recursive: true });
  const start = new Date(`${options.firstDay ?? '2021-11-23'}T00:00:00Z`);
  const days: Day[] = [];
  let events = 0;
  let bytes = 0;
  const perDay = options.events / options.days;
  for (let d = 0; d < options.days; d++) {
    const day = dayFromDate(new Date(start.getTime() + d * 86_400_000));
    days.push(day);
    // Older days use the older shapes, as the real history does.
    const era = d / options.days;
    const count = Math.max(1, Math.round(perDay * (0.5 + rand())));
    const lines = new Set<string>();
    for (let i = 0; i < count; i++) {
      const form = era < OLD_SHAPE_SHARE / 2 ? (rand() < 0.5 ? 0 : 1) : era < OLD_SHAPE_SHARE ? 2 : rand() < 0.3 ? 3 : 4;
      const ts = timestamp(form, day, Math.floor(rand() * 86_400), rand);
      const extension = EXTENSIONS[Math.floor(rand() * EXTENSIONS.length)] as string;
      const event = names[pickName()] as string;
      if (era < OLD_SHAPE_SHARE) {
        // Older objects: no endpoint, SIP channels that the regexes rewrite, `_` in names.
        lines.add(pyDumps(new Map([['timestamp', ts], ['channel', `${rand() < 0.5 ? 'SIP' : 'PJSIP'}/${extension}-${Math.floor(rand() * 0xffffff).toString(16).padStart(8, '0')}`], ['event', event]])));
      } else {
        // Newer objects (like every line of the March 2025 fixture): endpoint set, names
        // already dashed, and normalisation leaves nearly every line unchanged.
        const channel = rand() < 0.98 ? extension : `PJSIP/${extension}-${Math.floor(rand() * 0xffffff).toString(16).padStart(8, '0')}`;
        lines.add(terseLine({ timestamp: ts, channel, endpoint: extension, event: event.replaceAll('_', '-') }));
      }
    }
    const text = serialiseDailyObject(sortByCodePoint([...lines]));
    await fs.writeFile(path.join(prod, day), text);
    const mtime = new Date(start.getTime() + (d + 1) * 86_400_000);
    await fs.utimes(path.join(prod, day), mtime, mtime);
    events += lines.size;
    bytes += Buffer.byteLength(text);
  }
  return { days, events, bytes };
}
