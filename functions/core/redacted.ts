/**
 * A secret that prints as `[redacted]` however it is printed: `String()`, template strings,
 * `JSON.stringify`, `console.log`/`util.inspect`, a logger's structured output. Only
 * `reveal()` gives the value, and only the code that encrypts or signs with it calls that.
 */
const REDACTED = '[redacted]';

export class Redacted {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}

/** `text` with every occurrence of the secrets replaced: for messages that quote a server. */
export function scrub(text: string, secrets: readonly (Redacted | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    const value = secret?.reveal();
    if (value && value.length >= 8) out = out.split(value).join(REDACTED);
  }
  return out;
}
