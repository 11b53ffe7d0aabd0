/**
 * JSON that reads and writes like Python's `json` module with its defaults
 * (`json.loads`, and `json.dumps` with `ensure_ascii=True` and `", "` / `": "` separators).
 *
 * The published files must stay byte-identical to what the Python generator wrote, so values
 * keep what `JSON.parse` would lose: object key order for integer-like keys (a `Map`, not a
 * plain object), and the int/float distinction of numbers (`1.0` stays `1.0`).
 */
import { CoreError } from './errors.js';

export type PyValue = string | boolean | null | PyNumber | PyValue[] | PyObject;
export type PyObject = Map<string, PyValue>;

/** A number kept as the text Python would print for it. */
export class PyNumber {
  constructor(readonly text: string) {}
}

export class PyJsonError extends CoreError {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at character ${position}`);
  }
}

const SHORT_ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
};

/** Anything outside printable ASCII, plus `"` and `\`, is escaped by `ensure_ascii`. */
const NEEDS_ESCAPE = /[^ !#-[\]-~]/;

/** A string literal as `json.dumps` writes it: ASCII only, `\uXXXX` in lower-case hex, surrogate pairs for astral characters. */
export function pyString(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return `"${value}"`;
  let out = '"';
  let runStart = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0x20 && code <= 0x7e && code !== 0x22 && code !== 0x5c) continue;
    out += value.slice(runStart, i);
    out += SHORT_ESCAPES[code] ?? `\\u${code.toString(16).padStart(4, '0')}`;
    runStart = i + 1;
  }
  return `${out}${value.slice(runStart)}"`;
}

/** `repr(float)` as Python prints it: shortest round-trip digits, exponent form outside 1e-4 <= |x| < 1e16. */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  const [mantissa, exponentText] = Math.abs(value).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const expSign = exponent < 0 ? '-' : '+';
    return `${sign}${digits[0]}${fraction}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const integerPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fractionPart = digits.slice(exponent + 1) || '0';
  return `${sign}${integerPart}.${fractionPart}`;
}

/** `json.dumps(value)` with Python's default settings. */
export function pyDumps(value: PyValue): string {
  if (typeof value === 'string') return pyString(value);
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (value instanceof PyNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map(pyDumps).join(', ')}]`;
  const parts: string[] = [];
  for (const [key, item] of value) parts.push(`${pyString(key)}: ${pyDumps(item)}`);
  return `{${parts.join(', ')}}`;
}

/** Converts plain JavaScript data (strings, finite numbers, arrays, plain objects) for {@link pyDumps}. */
export function fromJs(value: unknown): PyValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    return new PyNumber(Number.isInteger(value) && !Object.is(value, -0) ? String(value) : pyFloatRepr(value));
  }
  if (Array.isArray(value)) return value.map(fromJs);
  if (typeof value === 'object') {
    return new Map(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, fromJs(v)]));
  }
  throw new TypeError(`cannot write ${typeof value} as JSON`);
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;

/**
 * `json.loads(text)`: accepts what Python accepts (including `NaN`, `Infinity`, lone surrogate
 * escapes), keeps key order with "last value wins, first position stays" for duplicate keys.
 */
export function pyLoads(text: string): PyValue {
  let pos = 0;

  const fail = (message: string): never => {
    throw new PyJsonError(message, pos);
  };
  const skipWhitespace = () => {
    while (pos < text.length && WHITESPACE.has(text.charCodeAt(pos))) pos++;
  };
  const expectLiteral = (literal: string) => {
    if (!text.startsWith(literal, pos)) fail('Expecting value');
    pos += literal.length;
  };

  const parseString = (): string => {
    pos++; // opening quote
    let out = '';
    let runStart = pos;
    for (;;) {
      if (pos >= text.length) fail('Unterminated string');
      const code = text.charCodeAt(pos);
      if (code === 0x22) {
        out += text.slice(runStart, pos);
        pos++;
        return out;
      }
      if (code < 0x20) fail('Invalid control character');
      if (code !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(runStart, pos);
      const escape = text[pos + 1];
      switch (escape) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('Invalid \\uXXXX escape');
          out += String.fromCharCode(parseInt(hex, 16));
          pos += 4;
          break;
        }
        default:
          fail('Invalid \\escape');
      }
      pos += 2;
      runStart = pos;
    }
  };

  const parseNumber = (): PyNumber => {
    NUMBER.lastIndex = pos;
    const match = NUMBER.exec(text);
    if (!match) return fail('Expecting value');
    pos += match[0].length;
    const isFloat = match[1] !== undefined || match[2] !== undefined;
    if (!isFloat) return new PyNumber(BigInt(match[0]).toString());
    return new PyNumber(pyFloatRepr(Number(match[0])));
  };

  const parseValue = (): PyValue => {
    skipWhitespace();
    const char = text[pos];
    switch (char) {
      case '"':
        return parseString();
      case '{': {
        pos++;
        const object: PyObject = new Map();
        skipWhitespace();
        if (text[pos] === '}') {
          pos++;
          return object;
        }
        for (;;) {
          skipWhitespace();
          if (text[pos] !== '"') fail('Expecting property name enclosed in double quotes');
          const key = parseString();
          skipWhitespace();
          if (text[pos] !== ':') fail("Expecting ':' delimiter");
          pos++;
          object.set(key, parseValue());
          skipWhitespace();
          if (text[pos] === ',') {
            pos++;
            continue;
          }
          if (text[pos] === '}') {
            pos++;
            return object;
          }
          fail("Expecting ',' delimiter");
        }
      }
      // falls through (unreachable: the loop returns or throws)
      case '[': {
        pos++;
        const array: PyValue[] = [];
        skipWhitespace();
        if (text[pos] === ']') {
          pos++;
          return array;
        }
        for (;;) {
          array.push(parseValue());
          skipWhitespace();
          if (text[pos] === ',') {
            pos++;
            continue;
          }
          if (text[pos] === ']') {
            pos++;
            return array;
          }
          fail("Expecting ',' delimiter");
        }
      }
      // falls through (unreachable)
      case 'n':
        expectLiteral('null');
        return null;
      case 't':
        expectLiteral('true');
        return true;
      case 'f':
        expectLiteral('false');
        return false;
      case 'N':
        expectLiteral('NaN');
        return new PyNumber('NaN');
      case 'I':
        expectLiteral('Infinity');
        return new PyNumber('Infinity');
      case '-':
        if (text.startsWith('-Infinity', pos)) {
          pos += 9;
          return new PyNumber('-Infinity');
        }
        return parseNumber();
      default:
        return parseNumber();
    }
  };

  const value = parseValue();
  skipWhitespace();
  if (pos !== text.length) fail('Extra data');
  return value;
}

/** Orders strings by Unicode code point, as Python compares `str` (JavaScript's `<` compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Moves surrogates (which stand for code points above U+FFFF) above U+E000–U+FFFF. */
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

const SURROGATE = /[\ud800-\udfff]/;

/** Sorts in place by code point; plain `sort()` gives the same order unless surrogates appear. */
export function sortByCodePoint(values: string[]): string[] {
  return values.some((v) => SURROGATE.test(v)) ? values.sort(compareCodePoints) : values.sort();
}

export function hasSurrogates(value: string): boolean {
  return SURROGATE.test(value);
}

/** `json.dumps(value, indent=n)`: one item per line, `","` item separator, `": "` key separator. */
export function pyDumpsIndented(value: PyValue, indent: number, level = 0): string {
  const isContainer = Array.isArray(value) || value instanceof Map;
  if (!isContainer) return pyDumps(value);
  const items: string[] = Array.isArray(value)
    ? value.map((item) => pyDumpsIndented(item, indent, level + 1))
    : [...(value as PyObject)].map(([k, v]) => `${pyString(k)}: ${pyDumpsIndented(v, indent, level + 1)}`);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (items.length === 0) return `${open}${close}`;
  const inner = ' '.repeat(indent * (level + 1));
  const outer = ' '.repeat(indent * level);
  return `${open}\n${inner}${items.join(`,\n${inner}`)}\n${outer}${close}`;
}
