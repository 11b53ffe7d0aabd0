/** Channel and event names that break code treating names as ordinary identifiers. */

/** Every property name a plain object inherits: as keys of `{}` they read or replace the prototype's. */
export const OBJECT_PROTOTYPE_NAMES: readonly string[] = Object.getOwnPropertyNames(Object.prototype);

export const HOSTILE_NAMES: readonly string[] = [
  ...OBJECT_PROTOTYPE_NAMES,
  'prototype',
  '',
  '..',
  '.',
  '/',
  'a/b',
  '../../etc/passwd',
  '\u0000',
  '\u0001x',
  'tab\there',
  'new\nline',
  'cr\rhere',
  '\u007f',
  'caf\u00e9',
  '\u65e5\u672c',
  '\u{1F4DE}',
  'lone \ud800 surrogate',
  '\udfff',
  'quote " inside',
  'back\\slash',
  '123',
  '0',
  '-1',
  ' ',
  '!',
  'x'.repeat(3000),
  `SIP/${'9'.repeat(500)}-x`,
];

/** Names of the real network and its older line shapes, which normalisation rewrites or keeps. */
export const ORDINARY_NAMES: readonly string[] = [
  '655',
  '630',
  'hot-leet',
  'PJSIP/630-0000011f',
  'SIP/630',
  'SIP/twilio-termination-00001a2b',
  'SIP-twilio-termination',
  'PJSIP-630',
  'PJSIP-hot-leet',
  'Local/followme@ctx-0001;1',
  'contact-status-Avail',
  'outgoing_portland_menu',
  'outgoing-portland-menu',
  'ivr',
];
