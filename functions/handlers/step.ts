/**
 * What every step handler shares: a middy handler over a plain pipeline function, with its
 * input validated against a schema (refused input fails with a message naming the field) and
 * its dependencies supplied by the caller — AWS adapters in Lambda, local ones elsewhere.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { type PipelineDeps } from '../pipeline/deps.js';
import { InvalidInputError } from '../pipeline/errors.js';

export type DepsProvider = () => Promise<PipelineDeps>;
export type StepHandler<R> = middy.MiddyfiedHandler<unknown, R, Error, Context>;

/** Refuses input that does not match the schema, naming the field and the problem. */
export function validateInput<S extends z.ZodType>(step: string, schema: S): MiddlewareObj<unknown, unknown, Error, Context> {
  return {
    before: (request) => {
      const parsed = schema.safeParse(request.event);
      if (!parsed.success) {
        const problems = parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`);
        throw new InvalidInputError(`${step}: invalid input: ${problems.join('; ')}`);
      }
      request.event = parsed.data;
    },
  };
}

/**
 * A step: `create(provideDeps, ...middlewares)` gives its middy handler. Lambda entry points
 * add Powertools' context injection; the local runner and tests call it as it is.
 */
export function defineStep<S extends z.ZodType, R>(
  name: string,
  schema: S,
  run: (deps: PipelineDeps, input: z.output<S>, context: Context) => Promise<R>,
) {
  return (provideDeps: DepsProvider, ...middlewares: Array<MiddlewareObj<unknown, unknown, Error, Context>>): StepHandler<R> => {
    const handler = middy<unknown, R, Error, Context>().use(validateInput(name, schema));
    for (const middleware of middlewares) handler.use(middleware as MiddlewareObj<unknown, R, Error, Context>);
    return handler.handler(async (event, context) => run(await provideDeps(), event as z.output<S>, context));
  };
}
