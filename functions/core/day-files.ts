/**
 * A day's own files: its date shard and, with the channel and event layouts, its per-channel
 * and per-event shards and the all-time files of the event/channel pairs it touches.
 */
import { buildDayShard, shardArray, type DayShard } from './day-shard.js';
import type { Day } from './days.js';
import type { Layout } from './layouts.js';
import type { ObjectStore } from './object-store.js';
import { pyDumps, pyLoads, type PyValue } from './python-json.js';
import type { DayCounts } from './summary.js';
import type { ShardSpace } from './reusable-buffer.js';
import { channelDayPath, dailyObjectKey, dayShardPath, eventChannelPath, eventDateDirectory, eventDayPath } from './site-paths.js';
import { deleteIfPresent, emptyChanges, writeIfChanged, type SiteChanges } from './site-writes.js';
import { CoreError } from './errors.js';

/** An event/channel pair as one string that any two names, NUL characters included, give unambiguously. */
export function pairKey(event: string, channel: string): string {
  return JSON.stringify([event, channel]);
}

export function parsePairKey(key: string): [event: string, channel: string] {
  try {
    const pair: unknown = JSON.parse(key);
    if (Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && typeof pair[1] === 'string') return [pair[0], pair[1]];
  } catch {
    // not JSON: the older form below
  }
  // Run records written before pairs were JSON: `event\u0000channel`.
  const nul = key.indexOf('\u0000');
  return [key.slice(0, nul), key.slice(nul + 1)];
}

export class MissingDailyObjectError extends CoreError {
  static override readonly userFacing = true;
  constructor(readonly key: string, location: string) {
    super(`daily object ${key} is missing from ${location}`);
  }
}

/** A day's daily object, as bytes; with a `space`, read into it when the store can (valid until its next use). */
export async function readDailyObject(source: ObjectStore, day: Day, space?: ShardSpace): Promise<{ body: Uint8Array; size: number }> {
  const key = dailyObjectKey(day);
  const object = space && source.getInto ? await source.getInto(key, space) : await source.get(key);
  if (!object) throw new MissingDailyObjectError(key, source.location);
  return object;
}

/** With a `space`, the shard's bytes are valid until its next use (see {@link buildDayShard}). */
export async function readDayShard(source: ObjectStore, day: Day, space?: ShardSpace): Promise<{ shard: DayShard; bytesRead: number }> {
  const object = await readDailyObject(source, day);
  return { shard: buildDayShard(object.body, space), bytesRead: object.size };
}

function groupEntries<K extends 'channel' | 'event'>(shard: DayShard, field: K): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const entry of shard.entries) {
    let list = groups.get(entry[field]);
    if (!list) groups.set(entry[field], (list = []));
    list.push(entry.json);
  }
  return groups;
}

/** The channel and event names of a published shard, read back without trusting its shape. */
function namesInPublishedShard(json: string): { channels: Set<string>; events: Set<string>; pairs: Set<string> } {
  const channels = new Set<string>();
  const events = new Set<string>();
  const pairs = new Set<string>();
  let items: PublishedItem[];
  try {
    items = publishedItems(json);
  } catch {
    items = [];
  }
  for (const { channel, event } of items) {
    if (channel !== undefined) channels.add(channel);
    if (event !== undefined) events.add(event);
    if (channel !== undefined && event !== undefined) pairs.add(pairKey(event, channel));
  }
  return { channels, events, pairs };
}

/**
 * Every path `writeDayFiles` may write or delete for a day, given the day's new shard and its
 * previously published one: known before anything is written, so the pipeline can announce
 * them to the publisher first.
 */
export function dayFilePaths(day: Day, shard: DayShard, previousShardJson: string | null, layouts: readonly Layout[]): string[] {
  const paths = [dayShardPath(day)];
  const old = previousShardJson === null ? null : namesInPublishedShard(previousShardJson);
  if (layouts.includes('channel')) {
    for (const channel of new Set([...shard.counts.channels.keys(), ...(old?.channels ?? [])])) paths.push(channelDayPath(channel, day));
  }
  if (layouts.includes('event')) {
    for (const event of new Set([...shard.counts.events.keys(), ...(old?.events ?? [])])) paths.push(eventDayPath(event, day));
  }
  return paths;
}

/**
 * Writes a day's own files: its date shard and, with those layouts, its per-channel and
 * per-event shards, removing per-channel and per-event files the day no longer has.
 */
export async function writeDayFiles(site: ObjectStore, day: Day, shard: DayShard, layouts: readonly Layout[]): Promise<{ changes: SiteChanges; touchedPairs: string[] }> {
  const changes = emptyChanges();
  const byChannel = layouts.includes('channel');
  const byEvent = layouts.includes('event');
  const touchedPairs = new Set<string>();
  if (byChannel || byEvent) {
    const previous = await site.get(dayShardPath(day));
    const old = previous ? namesInPublishedShard(Buffer.from(previous.body).toString('utf8')) : null;
    const channels = groupEntries(shard, 'channel');
    const events = groupEntries(shard, 'event');
    if (byChannel) {
      for (const [channel, items] of channels) await writeIfChanged(site, channelDayPath(channel, day), shardArray(items), changes);
      for (const channel of old?.channels ?? []) if (!channels.has(channel)) await deleteIfPresent(site, channelDayPath(channel, day), changes);
    }
    if (byEvent) {
      for (const [event, items] of events) await writeIfChanged(site, eventDayPath(event, day), shardArray(items), changes);
      for (const event of old?.events ?? []) if (!events.has(event)) await deleteIfPresent(site, eventDayPath(event, day), changes);
      for (const entry of shard.entries) touchedPairs.add(pairKey(entry.event, entry.channel));
      for (const pair of old?.pairs ?? []) touchedPairs.add(pair);
    }
  }
  // The date shard goes last: it is what tells the next run which names the day had.
  await writeIfChanged(site, dayShardPath(day), shard.bytes, changes);
  return { changes, touchedPairs: [...touchedPairs] };
}

/**
 * The all-time `events/{event}/channels/{channel}.json` files of the given pairs, from the
 * per-event day shards, in day order.
 */
export async function rebuildPairs(site: ObjectStore, pairs: Iterable<string>): Promise<SiteChanges> {
  const changes = emptyChanges();
  const channelsByEvent = new Map<string, Set<string>>();
  for (const pair of pairs) {
    const [event, channel] = parsePairKey(pair);
    let set = channelsByEvent.get(event);
    if (!set) channelsByEvent.set(event, (set = new Set()));
    set.add(channel);
  }
  for (const [event, channels] of channelsByEvent) {
    const items = new Map<string, string[]>([...channels].map((c) => [c, []]));
    for await (const info of site.list(eventDateDirectory(event))) {
      const object = await site.get(info.key);
      if (!object) continue;
      for (const { item, channel } of publishedItems(Buffer.from(object.body).toString('utf8'))) {
        if (channel !== undefined) items.get(channel)?.push(pyDumps(item));
      }
    }
    for (const [channel, list] of items) {
      const path = eventChannelPath(event, channel);
      if (list.length === 0) await deleteIfPresent(site, path, changes);
      else await writeIfChanged(site, path, shardArray(list), changes);
    }
  }
  return changes;
}

/** The counts a published day shard stands for (for a day kept as published, without its source). */
export function countsOfPublishedShard(json: string): DayCounts {
  const events = new Map<string, number>();
  const channels = new Map<string, number>();
  let total = 0;
  for (const { event, channel } of publishedItems(json)) {
    total++;
    if (event !== undefined) events.set(event, (events.get(event) ?? 0) + 1);
    if (channel !== undefined) channels.set(channel, (channels.get(channel) ?? 0) + 1);
  }
  return { total, events, channels };
}

interface PublishedItem {
  readonly item: PyValue;
  readonly channel?: string;
  readonly event?: string;
}

/** The items of a published array, with the names the layouts group them by (none if not an array). */
function publishedItems(json: string): PublishedItem[] {
  const value = pyLoads(json);
  if (!Array.isArray(value)) return [];
  return value.map((item) => {
    const channel = item instanceof Map ? item.get('channel') : undefined;
    const event = item instanceof Map ? item.get('event') : undefined;
    return { item, ...(typeof channel === 'string' ? { channel } : {}), ...(typeof event === 'string' ? { event } : {}) };
  });
}
