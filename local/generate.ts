/**
 * Deterministic, realistic traffic for the embedded default: Asterisk events as the SNS
 * topic carries them, spread over a few days, with the share of noise the real feed has
 * (non-production hosts, registrations, operator follow-me legs) and a few broken bodies.
 */
import { seededRandom } from '../functions/core/random.js';

const EXTENSIONS = ['405', '415', '505', '510', '520', '615', '625', '630', '640', '655', '670', '680', '695'];
const EVENTS: Array<[string, number]> = [
  ['contact-status-Avail', 40],
  ['ivr', 12],
  ['dial-outgoing', 5],
  ['outgoing-portland', 5],
  ['outgoing-call', 4],
  ['outgoing-portland-menu', 3],
  ['dial-sip-e164', 2],
  ['operator', 2],
  ['voicemail-main', 1],
  ['filterdial', 1],
];

export interface GenerateOptions {
  readonly count: number;
  /** Different seeds give different traffic over the same days. */
  readonly seed?: number;
  /** First day, `YYYY-MM-DD`. */
  readonly firstDay?: string;
  readonly days?: number;
}

/** SNS message strings (what a publisher sends to the topic). */
export function generateMessages(options: GenerateOptions): string[] {
  const rand = seededRandom(options.seed ?? 1);
  const days = options.days ?? 3;
  const start = Date.parse(`${options.firstDay ?? '2025-03-01'}T00:00:00Z`);
  const totalWeight = EVENTS.reduce((sum, [, w]) => sum + w, 0);
  const pickEvent = () => {
    let x = rand() * totalWeight;
    for (const [name, weight] of EVENTS) if ((x -= weight) < 0) return name;
    return EVENTS[0]![0];
  };
  const messages: string[] = [];
  for (let i = 0; i < options.count; i++) {
    const at = new Date(start + Math.floor(rand() * days * 86_400_000));
    const timestamp = at.toISOString().replace(/\.\d{3}Z$/, '+00:00');
    const extension = EXTENSIONS[Math.floor(rand() * EXTENSIONS.length)] as string;
    const roll = rand();
    if (roll < 0.003) {
      messages.push(roll < 0.0015 ? '{"timestamp": "truncated' : 'not json at all');
      continue;
    }
    let hostname = 'futel-prod.phu73l.net';
    let event: Record<string, string> = { Event: 'UserEvent', Privilege: 'user,all', Channel: extension, UserEvent: pickEvent(), endpoint: extension };
    if (roll < 0.02) hostname = 'futel-stage.phu73l.net';
    else if (roll < 0.03) event = { Event: rand() < 0.5 ? 'Registry' : 'PeerStatus', Channel: `PJSIP/${extension}-0000${Math.floor(rand() * 9000 + 1000)}` };
    else if (roll < 0.035) event = { Event: 'UserEvent', Channel: `Local/followme-operator@default-0001;1`, UserEvent: 'operator' };
    else if (roll < 0.1) event = { ...event, Channel: `PJSIP/${extension}-0000${Math.floor(rand() * 9000 + 1000).toString(16)}` };
    messages.push(JSON.stringify({ timestamp, hostname, event }));
  }
  return messages;
}
