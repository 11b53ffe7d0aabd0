/**
 * The file `local --events` replays: NDJSON, one SQS body per line. A recorded body (an SNS
 * envelope, as in the fixtures and as `backfill --out` writes them) goes onto the queue exactly
 * as SNS delivered it, so its `Timestamp` and `MessageId` survive and a replay is idempotent. Any
 * other line is published through the topic, as a publisher would send it: a bare message gets
 * its envelope there, and a broken line stays broken and is quarantined by the drain.
 *
 * A line no queue would take (over the 256 KiB limit, or holding characters SQS refuses) is
 * refused here, quarantined under `rejected/` with its reason, and the others go ahead.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ObjectStore } from '../../functions/core/object-store.js';
import { MESSAGE_LIMIT_BYTES } from '../emulators/local-aws.js';
import { quarantineBody } from '../../functions/pipeline/drain.js';

export interface RefusedLine {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly reason: string;
  readonly body: string;
  /** The envelope's `MessageId`, when the line is one. */
  readonly messageId?: string;
}

export interface EventsFile {
  /** Recorded SQS bodies, for the queue as they are. */
  readonly bodies: string[];
  /** Messages for the topic. */
  readonly messages: string[];
  readonly refused: RefusedLine[];
}

/** Characters outside what SQS accepts in a body (#x9 #xA #xD #x20–#xD7FF #xE000–#xFFFD #x10000–#x10FFFF). */
const NOT_ACCEPTED_BY_SQS = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function parseEventsFile(text: string): EventsFile {
  const file: EventsFile = { bodies: [], messages: [], refused: [] };
  text.split('\n').forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const envelope = recordedEnvelope(line);
    const problem = refusal(line);
    if (problem) {
      file.refused.push({ line: index + 1, reason: problem, body: line, ...(envelope?.messageId ? { messageId: envelope.messageId } : {}) });
    } else if (envelope) {
      file.bodies.push(line);
    } else {
      file.messages.push(line);
    }
  });
  return file;
}

/** A line that is an SNS notification, as the queue received it; null for anything else. */
function recordedEnvelope(line: string): { messageId?: string } | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || (value as { Type?: unknown }).Type !== 'Notification') return null;
  const { MessageId } = value as { MessageId?: unknown };
  return typeof MessageId === 'string' && MessageId !== '' ? { messageId: MessageId } : {};
}

function refusal(line: string): string | null {
  const bytes = Buffer.byteLength(line, 'utf8');
  if (bytes > MESSAGE_LIMIT_BYTES) {
    return `body is ${bytes.toLocaleString('en-US')} bytes, over the ${MESSAGE_LIMIT_BYTES.toLocaleString('en-US')}-byte (256 KiB) limit of an SNS or SQS message`;
  }
  const bad = NOT_ACCEPTED_BY_SQS.exec(line);
  if (bad) {
    const code = bad[0].codePointAt(0) as number;
    return `body holds a character SQS does not accept (U+${code.toString(16).toUpperCase().padStart(4, '0')} at character ${bad.index})`;
  }
  return null;
}

/**
 * Quarantines the refused lines under `rejected/` as the drain quarantines malformed bodies, with
 * the file and line they came from; returns the keys. Quarantining the same line again on the
 * same day rewrites the same record.
 */
export async function quarantineRefused(bucket: ObjectStore, fileName: string, refused: readonly RefusedLine[], now: Date): Promise<string[]> {
  const keys: string[] = [];
  for (const line of refused) {
    const messageId = line.messageId ?? `events-file-line-${line.line}-${createHash('sha256').update(line.body).digest('hex').slice(0, 16)}`;
    const source = `events file ${path.basename(fileName)}, line ${line.line}`;
    keys.push(await quarantineBody(bucket, { messageId, receivedAt: now, source, reason: line.reason, body: line.body }));
  }
  return keys;
}
