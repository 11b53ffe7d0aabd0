/**
 * The drainer's rules (docs/design.md §2.2): an SQS body (an SNS envelope around an Asterisk event)
 * is kept as a terse event for a day, dropped for a counted reason, or malformed. Nothing here
 * throws on bad input: a malformed body is data to quarantine, never a reason to stop a batch.
 */
import { dayOfTimestamp, isoDay, type Day } from './days.js';
import { pyDumps, type PyObject } from './python-json.js';
import { checkTimestamp } from './timestamp.js';

export const DEFAULT_PRODUCTION_HOSTS: readonly string[] = [
  'futel-prod.phu73l.net',
  'futel-prod-back',
  'dialplan-functions-prod',
];

/** Events the old drainer never kept. */
const IGNORED_EVENT_NAMES = new Set(['Registry', 'PeerStatus']);

export type DropReason = 'hostname' | 'channel' | 'event';

export interface TerseEvent {
  readonly timestamp: string;
  readonly channel: string;
  readonly endpoint: string;
  readonly event: string;
}

export type Classification =
  | { readonly kind: 'kept'; readonly day: Day; readonly line: string; readonly event: TerseEvent }
  | { readonly kind: 'dropped'; readonly reason: DropReason; readonly detail: string }
  | { readonly kind: 'malformed'; readonly reason: string };

export interface ClassifierOptions {
  readonly productionHosts?: readonly string[];
  /** Events dated before this day are quarantined (a device whose clock was reset, say). */
  readonly firstDay?: Day | null;
  /**
   * When the queue received the body (SQS's sent time, else the drain's clock): the latest its
   * receipt can be. The receipt is the envelope's `Timestamp` (SNS's own), never later than this.
   */
  readonly receivedAt?: Date;
}

/** How far an event's time may run ahead of its receipt (clocks drift, zones are missing). */
export const MAX_AHEAD_OF_RECEIPT_MS = 24 * 3600 * 1000;

type Json = Record<string, unknown>;

const malformed = (reason: string): Classification => ({ kind: 'malformed', reason });
const dropped = (reason: DropReason, detail: string): Classification => ({ kind: 'dropped', reason, detail });

function parseObject(text: string): Json | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  return value as Json;
}

function optionalString(object: Json, key: string, where: string): string | undefined | { error: string } {
  if (!Object.hasOwn(object, key)) return undefined;
  const value = object[key];
  if (typeof value === 'string') return value;
  return { error: `${where}.${key} is ${value === null ? 'null' : typeof value}, not a string` };
}

const isError = (value: unknown): value is { error: string } =>
  typeof value === 'object' && value !== null && 'error' in value;

export function classifyMessage(body: string, options: ClassifierOptions = {}): Classification {
  const hosts = options.productionHosts ?? DEFAULT_PRODUCTION_HOSTS;
  const envelope = parseObject(body);
  if (typeof envelope === 'string') return malformed(`body is ${envelope}`);
  if (!Object.hasOwn(envelope, 'Message')) return malformed('envelope has no Message');
  if (typeof envelope.Message !== 'string') return malformed('envelope Message is not a string');
  const message = parseObject(envelope.Message);
  if (typeof message === 'string') return malformed(`Message is ${message}`);
  const event = message.event;
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    return malformed('Message.event is missing or not an object');
  }
  const asterisk = event as Json;

  // Same order as the old drainer: hostname, channel, event name, and only then the day.
  const hostname = message.hostname;
  if (typeof hostname !== 'string' || !hosts.includes(hostname)) {
    return dropped('hostname', typeof hostname === 'string' ? hostname : String(hostname));
  }
  const channelValue = optionalString(asterisk, 'Channel', 'event');
  if (isError(channelValue)) return malformed(channelValue.error);
  const channel = channelValue ?? '';
  if (channel === '' || channel.includes('followme-operator')) return dropped('channel', channel);
  const name = Object.hasOwn(asterisk, 'UserEvent')
    ? optionalString(asterisk, 'UserEvent', 'event')
    : optionalString(asterisk, 'Event', 'event');
  if (isError(name)) return malformed(name.error);
  if (name === undefined || IGNORED_EVENT_NAMES.has(name)) return dropped('event', name ?? '(none)');
  const endpointValue = optionalString(asterisk, 'endpoint', 'event');
  if (isError(endpointValue)) return malformed(endpointValue.error);

  const ownTimestamp = optionalString(message, 'timestamp', 'Message');
  const timestamp = ownTimestamp ?? optionalString(envelope, 'Timestamp', 'envelope');
  if (isError(timestamp)) return malformed(timestamp.error);
  if (timestamp === undefined) return malformed('no timestamp in Message or envelope');
  const checked = checkTimestamp(timestamp);
  if (!checked.ok) return malformed(checked.reason);
  const day = dayOfTimestamp(timestamp) as Day;
  const firstDay = options.firstDay ?? null;
  if (firstDay !== null && day < firstDay) return malformed(`timestamp ${JSON.stringify(timestamp)} is before the first day, ${isoDay(firstDay)}`);
  const receipt = receiptOf(envelope, options.receivedAt);
  if (receipt !== null && checked.epochMs > receipt + MAX_AHEAD_OF_RECEIPT_MS) {
    return malformed(`timestamp ${JSON.stringify(timestamp)} is more than a day after the message was received (${new Date(receipt).toISOString()})`);
  }

  const terse: TerseEvent = { timestamp, channel, endpoint: endpointValue ?? channel, event: name };
  return { kind: 'kept', day, line: terseLine(terse), event: terse };
}

/** When SNS received the message: its envelope's `Timestamp`, capped by when the queue had it. */
function receiptOf(envelope: Json, queuedAt: Date | undefined): number | null {
  const stamped = typeof envelope.Timestamp === 'string' ? checkTimestamp(envelope.Timestamp) : null;
  const times = [stamped?.ok ? stamped.epochMs : null, queuedAt?.getTime() ?? null].filter((t): t is number => t !== null && Number.isFinite(t));
  return times.length > 0 ? Math.min(...times) : null;
}

/** The daily-object line for a kept event, keys in the drainer's order. */
export function terseLine(event: TerseEvent): string {
  const object: PyObject = new Map([
    ['timestamp', event.timestamp],
    ['channel', event.channel],
    ['endpoint', event.endpoint],
    ['event', event.event],
  ]);
  return pyDumps(object);
}
