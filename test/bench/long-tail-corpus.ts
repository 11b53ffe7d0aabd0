/**
 * The `long-tail` profile, the benchmark's first corpus (its output is unchanged): events
 * spread evenly over the days, 5,000 event names (Zipf-like), the first fifth of the days in
 * the older line shape with raw SIP channels and `_` in names (every such line changes in
 * normalisation), the rest with `endpoint` and 2 % of channels that differ from it.
 */
import type { Day } from '../../functions/core/days.js';
import { eventNames, terse, timestamp, zipf, type TimestampForm } from './corpus-lines.js';
import type { Profile } from './synthetic-corpus.js';

/** The first days of the history use the drainer's older line shape. */
const OLD_SHAPE_SHARE = 0.2;

const EXTENSIONS = ['405', '415', '505', '510', '520', '615', '625', '630', '640', '655', '670', '680', '695', 'hot-leet', 'twilio-pv'];

const FORMS: readonly TimestampForm[] = ['comma-millis-offset', 'offset', 'millis-z', 'micros', 'utc-offset'];

function hexSuffix(rand: () => number): string {
  return Math.floor(rand() * 0xffffff).toString(16).padStart(8, '0');
}

export const longTailProfile: Profile = function* (calendar, options, rand) {
  const names = eventNames(options.eventNames);
  const pickName = zipf(names.length, 1.1);
  const perDay = options.events / calendar.length;
  for (let d = 0; d < calendar.length; d++) {
    const day = calendar[d] as Day;
    const era = d / calendar.length;
    const count = Math.max(1, Math.round(perDay * (0.5 + rand())));
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      const form = FORMS[era < OLD_SHAPE_SHARE / 2 ? (rand() < 0.5 ? 0 : 1) : era < OLD_SHAPE_SHARE ? 2 : rand() < 0.3 ? 3 : 4] as TimestampForm;
      const ts = timestamp(form, day, Math.floor(rand() * 86_400), rand);
      const extension = EXTENSIONS[Math.floor(rand() * EXTENSIONS.length)] as string;
      const event = names[pickName(rand)] as string;
      if (era < OLD_SHAPE_SHARE) {
        // Older objects: no endpoint, SIP channels that the regexes rewrite, `_` in names.
        const technology = rand() < 0.5 ? 'SIP' : 'PJSIP';
        lines.push(terse(ts, `${technology}/${extension}-${hexSuffix(rand)}`, null, event));
      } else {
        // Newer objects: endpoint set, names already dashed; normalisation leaves nearly every line unchanged.
        const channel = rand() < 0.98 ? extension : `PJSIP/${extension}-${hexSuffix(rand)}`;
        lines.push(terse(ts, channel, extension, event.replaceAll('_', '-')));
      }
    }
    yield { day, lines };
  }
};
