/**
 * The `real-shape` profile: the proportions measured on the real 1,650-day history
 * (2021-11-23 onwards, 6.24 M events, 669 MB).
 *
 * - Density by year: about 5,200 events a day in 2022–2023 (3.8 M events), with one day of
 *   28,355; about 3,000 a day in 2024 and 2,700 in 2025–2026; a quieter start in 2021.
 * - Line shapes: no `endpoint` in every line of 2021–2023 and of 2024 until mid-April (29 % of
 *   2024's lines, two weeks of both shapes mixed), about 65 % of all lines. Their channels are
 *   as the history holds them, already normalised once (`PJSIP-630`), so the SIP rewrites run
 *   on every one of them and change only those with a second dash
 *   (`SIP-twilio-termination` → `SIP-twilio`): about 25,000 events. Newer lines carry
 *   `endpoint`, and their channel equals it, as in the March 2025 data.
 * - Timestamps in the five forms, by period as in the history, mixed where one form gave way to
 *   another: `-08:00` and `,612-08:00` until mid-2022, `.540Z` to the end of 2023, then
 *   `+00:00` and `.421374` (63 % / 37 %, as in March 2025).
 */
import { epochMillis, type Day } from '../../functions/core/days.js';
import { eventNames, terse, timestamp, weighted, zipf, zipfWeights, type TimestampForm } from './corpus-lines.js';
import type { Profile } from './synthetic-corpus.js';

const PEAK_DAY = '20221231';
const PEAK_EVENTS = 28_355;

/** Mean events a day, by period (before scaling to the corpus's total). */
function meanEventsPerDay(day: Day): number {
  if (day < '20220101') return 800;
  if (day < '20240101') return 5_200;
  if (day < '20250101') return 3_000;
  return 2_700;
}

/** Share of a day's lines without `endpoint`: 1 until 10 April 2024, 0 from 24 April, mixed between. */
function oldShapeShare(day: Day): number {
  return rampDown(day, '20240410', '20240424');
}

/** 1 before `from`, 0 from `to`, linear between. */
function rampDown(day: Day, from: string, to: string): number {
  const t = epochMillis(day);
  const start = epochMillis(from as Day);
  const end = epochMillis(to as Day);
  return t < start ? 1 : t >= end ? 0 : 1 - (t - start) / (end - start);
}

function timestampForm(day: Day, rand: () => number): TimestampForm {
  // Asterisk's local log times until mid-2022, then UTC with milliseconds, then the drainer's forms.
  const logTimes = rampDown(day, '20220601', '20220701');
  const millisZ = rampDown(day, '20231215', '20240115');
  const x = rand();
  if (x < logTimes) return rand() < 0.55 ? 'offset' : 'comma-millis-offset';
  if (x < millisZ) return 'millis-z';
  return rand() < 0.63 ? 'utc-offset' : 'micros';
}

/** Extensions of the older years, as their channels hold them after one normalisation. */
const OLD_EXTENSIONS = ['405', '410', '415', '416', '505', '510', '520', '530', '610', '615', '620', '625', '630', '640', '655', '670', '680', '695'];
/** Channels with a second dash, which a second normalisation shortens. */
const TWICE_DASHED = ['SIP-twilio-termination', 'PJSIP-hot-leet', 'SIP-voipms-outbound', 'PJSIP-twilio-pv', 'SIP-callcentric-in'];
/** Share of older lines with such a channel: about 25,000 of 4.1 M. */
const TWICE_DASHED_SHARE = 0.0061;
/** Endpoints of the newer years (March 2025 has these kinds of names). */
const NEW_EXTENSIONS = [...OLD_EXTENSIONS, 'hot-leet', 'ghost-train', 'clinton-st', 'microcosm', 'bottle-rocket', 'brazee', 'fortysix', 'cesar-chavez', 'alleyta', 'twilio-pv', '417'];

/** The busiest event names of March 2025 with their counts there; the rest share what they leave. */
const HEAD_EVENTS: ReadonlyArray<[string, number]> = [
  ['contact-status-Avail', 44036], ['ivr', 9755], ['dial-outgoing', 3099], ['outgoing-portland', 2958], ['outgoing-call', 2807],
  ['outgoing-portland-menu', 1956], ['outgoing-dialstatus-no-answer', 1676], ['outgoing-operator-empty', 1671], ['outgoing-dialtone', 1088],
  ['outgoing-dialstatus-completed', 1013], ['dial-pstn', 914], ['outgoing-dialtone-wrapper', 819], ['internaldial', 641], ['filterdial', 596],
  ['dial-sip-e164', 416], ['dial-extension', 411], ['error-32009', 342], ['twilio-error-32009', 341], ['outgoing-detroit', 290],
  ['outgoing-operator-operator-menu', 244], ['call-911-9', 216], ['dial-sip-asterisk', 209], ['outgoing-souwester', 180],
  ['community-outgoing', 173], ['outgoing-dialstatus-ANSWER', 170],
];
const MARCH_2025_EVENTS = 78_959;

/** `count` names: the head above, then a Zipf-like tail that shares the head's remainder. */
function eventPicker(count: number): { names: string[]; pick: (rand: () => number) => number } {
  const head = HEAD_EVENTS.slice(0, count);
  const headTotal = head.reduce((sum, [, n]) => sum + n, 0);
  const tailNames = eventNames(Math.max(0, count - head.length) + 10).slice(10).map((name) => `${name.replaceAll('_', '-')}-feature`);
  const tail = zipfWeights(tailNames.length, 1.1);
  const tailTotal = tail.reduce((sum, w) => sum + w, 0);
  const tailShare = MARCH_2025_EVENTS - headTotal;
  return {
    names: [...head.map(([name]) => name), ...tailNames],
    pick: weighted([...head.map(([, n]) => n), ...tail.map((w) => (w / tailTotal) * tailShare)]),
  };
}

export const realShapeProfile: Profile = function* (calendar, options, rand) {
  const { names, pick: pickName } = eventPicker(options.eventNames);
  const pickOld = zipf(OLD_EXTENSIONS.length, 0.6);
  const pickNew = zipf(NEW_EXTENSIONS.length, 0.6);
  // Volumes first, scaled so the corpus holds the events asked for.
  const weights = calendar.map((day) => (day === PEAK_DAY ? 0 : meanEventsPerDay(day) * (0.6 + 0.8 * rand())));
  const peak = calendar.includes(PEAK_DAY as Day) ? PEAK_EVENTS : 0;
  const scale = Math.max(0, options.events - peak) / weights.reduce((sum, w) => sum + w, 0);
  for (let d = 0; d < calendar.length; d++) {
    const day = calendar[d] as Day;
    const count = day === PEAK_DAY ? PEAK_EVENTS : Math.max(1, Math.round((weights[d] as number) * scale));
    const oldShare = oldShapeShare(day);
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      const ts = timestamp(timestampForm(day, rand), day, Math.floor(rand() * 86_400), rand);
      const event = names[pickName(rand)] as string;
      if (rand() < oldShare) {
        const channel = rand() < TWICE_DASHED_SHARE
          ? (TWICE_DASHED[Math.floor(rand() * TWICE_DASHED.length)] as string)
          : `${rand() < 0.7 ? 'PJSIP' : 'SIP'}-${OLD_EXTENSIONS[pickOld(rand)] as string}`;
        lines.push(terse(ts, channel, null, event));
      } else {
        const endpoint = NEW_EXTENSIONS[pickNew(rand)] as string;
        lines.push(terse(ts, endpoint, endpoint, event));
      }
    }
    yield { day, lines };
  }
};
