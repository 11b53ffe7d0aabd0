/** Pieces of the synthetic daily objects that both benchmark profiles use. */
export function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** The five timestamp forms of the real history. */
export const TIMESTAMP_FORMS = ['comma-millis-offset', 'offset', 'millis-z', 'micros', 'utc-offset'] as const;
export type TimestampForm = (typeof TIMESTAMP_FORMS)[number];

/** `2022-04-05T02:31:41,612-08:00`, `2022-03-24T05:00:30-08:00`, `2023-03-04T06:29:27.540Z`, `2025-03-01T00:00:32.421374`, `2025-03-01T00:00:17+00:00`. */
export function timestamp(form: TimestampForm, day: string, seconds: number, rand: () => number): string {
  const base = `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}T${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
  switch (form) {
    case 'comma-millis-offset': return `${base},${pad(Math.floor(rand() * 1000), 3)}-08:00`;
    case 'offset': return `${base}-08:00`;
    case 'millis-z': return `${base}.${pad(Math.floor(rand() * 1000), 3)}Z`;
    case 'micros': return `${base}.${pad(Math.floor(rand() * 1e6), 6)}`;
    case 'utc-offset': return `${base}+00:00`;
  }
}

/** Picks index i with probability ∝ weights[i], by inverse CDF. */
export function weighted(weights: readonly number[]): (rand: () => number) => number {
  const cdf = new Float64Array(weights.length);
  let total = 0;
  weights.forEach((w, i) => (cdf[i] = total += w));
  return (rand) => {
    const x = rand() * total;
    let lo = 0;
    let hi = weights.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** Zipf-like weights: index i ∝ 1/(i+1)^s. */
export function zipfWeights(count: number, s: number): number[] {
  return Array.from({ length: count }, (_, i) => 1 / (i + 1) ** s);
}

export function zipf(count: number, s: number): (rand: () => number) => number {
  return weighted(zipfWeights(count, s));
}

const HEAD_EVENTS = ['contact-status-Avail', 'ivr', 'dial-outgoing', 'outgoing-portland', 'outgoing_call', 'outgoing-portland-menu', 'dial-sip-e164', 'operator', 'voicemail_main', 'filterdial'];

export function eventNames(count: number): string[] {
  const names = HEAD_EVENTS.slice(0, count);
  for (let i = names.length; i < count; i++) names.push(i % 7 === 0 ? `menu_option_${i}` : `feature-${i.toString(36)}-x`);
  return names;
}

/** The drainer's line, without `endpoint` (older objects) or with it; ASCII names only. */
export function terse(timestampText: string, channel: string, endpoint: string | null, event: string): string {
  const endpointPart = endpoint === null ? '' : `"endpoint": "${endpoint}", `;
  return `{"timestamp": "${timestampText}", "channel": "${channel}", ${endpointPart}"event": "${event}"}`;
}
