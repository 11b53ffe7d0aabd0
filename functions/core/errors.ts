/**
 * The root of every error this project raises on purpose, and the core's own base class.
 *
 * The class decides how an error is treated, never a list of names kept elsewhere:
 * - `retryable`: a later attempt may succeed. The state machine's Retry list is built from the
 *   classes that say so (workflows/pipeline.ts), so renaming one cannot silently end its retries.
 * - `userFacing`: the message is the whole story for a person (bad input, a missing or corrupt
 *   file, a refused operation). The CLI prints it as one line, without a stack.
 *
 * Both are static, so a class can be classified without building an instance; the instance
 * getters read them through the prototype chain, so a subclass inherits its parent's answer.
 * `name` is the class's own name: Step Functions matches a Lambda's error by it, and the
 * bundles keep class names (esbuild `keepNames`).
 */
export abstract class UsagePipelineError extends Error {
  static readonly retryable: boolean = false;
  static readonly userFacing: boolean = false;
  /** The CLI's exit status when this error ends a command. */
  readonly exitCode: number = 1;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }

  get retryable(): boolean {
    return (this.constructor as typeof UsagePipelineError).retryable;
  }

  get userFacing(): boolean {
    return (this.constructor as typeof UsagePipelineError).userFacing;
  }
}

/** The constructor of some project error, as the classifying code sees it. */
export type ErrorClass = abstract new (...args: never[]) => UsagePipelineError;

/** Whether a thrown value's message is meant for a person as it stands. Read by property, so it holds across module copies. */
export function isUserFacing(error: unknown): error is Error {
  return error instanceof Error && (error as { userFacing?: unknown }).userFacing === true;
}

/** Errors of the core: data that does not have the shape the formats require, refused operations. */
export abstract class CoreError extends UsagePipelineError {}
