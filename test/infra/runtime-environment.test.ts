/**
 * The runtime contract held to the deployed stack: the environment infra gives each Lambda is
 * exactly what that Lambda's handler reads (functions/config/environment.ts), with every
 * variable it requires, none it does not read, and values it accepts.
 */
import { ENVIRONMENT_OF_KIND, VARIABLES } from '../../functions/config/environment.js';
import { FUNCTION_SPECS } from '../../functions/config/functions.js';
import { pipelineSettings } from '../../infra/stack.js';
import { EVERY_OPTION, lambdaNamed, synthesize, type Synthesized } from './support.js';

let plain: Synthesized;
let full: Synthesized;

beforeAll(async () => {
  plain = await synthesize();
  full = await synthesize({ ...EVERY_OPTION, firstDay: 'none', layouts: ['date', 'channel', 'event', 'summary'], drain: { maxMessages: 5_000, flushMessages: 500, receiveWaitSeconds: 0, timeBudgetSeconds: 120 } });
});

const EXAMPLES = new Map<string, string>(Object.values(VARIABLES).map((variable) => [variable.name, variable.example]));

/** A Terraform reference (`${aws_sqs_queue.queue.url}`) stands for a value known at apply: a value of the variable's form. */
function resolved(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value.includes('${') ? (EXAMPLES.get(name) ?? value) : value]));
}

const configurations = () =>
  [
    ['default', plain],
    ['every option', full],
  ] as const;

describe('the environment of each Lambda', () => {
  it.each(FUNCTION_SPECS.map((spec) => [spec.name, spec] as const))('%s is given every variable its handler requires, and none it does not read', (_name, spec) => {
    const contract = ENVIRONMENT_OF_KIND[spec.kind];
    for (const [label, synthesized] of configurations()) {
      const env = lambdaNamed(synthesized.tf, `usage-pipeline-${spec.name}`)[1].environment.variables as Record<string, string>;
      const given = Object.keys(env);
      expect({ label, unknown: given.filter((name) => !contract.variables.includes(name)) }).toEqual({ label, unknown: [] });
      expect({ label, missing: contract.required.filter((name) => !given.includes(name)) }).toEqual({ label, missing: [] });
      expect(() => contract.read(resolved(env))).not.toThrow();
    }
  });

  it('tells every pipeline step the settings of the deployment, as its handler reads them', () => {
    for (const [, synthesized] of configurations()) {
      for (const spec of FUNCTION_SPECS.filter((s) => s.kind === 'pipeline-step')) {
        const env = lambdaNamed(synthesized.tf, `usage-pipeline-${spec.name}`)[1].environment.variables as Record<string, string>;
        const settings = ENVIRONMENT_OF_KIND['pipeline-step'].read(resolved(env)) as { pipeline: unknown };
        expect(settings.pipeline).toEqual(pipelineSettings(synthesized.config));
      }
    }
    expect(pipelineSettings(full.config)).toMatchObject({ firstDay: null, drain: { receiveWaitSeconds: 0, timeBudgetMs: 120_000 } });
  });

  it('tells the rotation its verify timeout and the monitor its data-age limit from the configuration', async () => {
    const tuned = await synthesize({ rotationVerifyTimeoutSeconds: 120, alarms: { dataAgeHours: 1.5, periodMinutes: 5 } });
    const env = (name: string) => resolved(lambdaNamed(tuned.tf, `usage-pipeline-${name}`)[1].environment.variables as Record<string, string>);
    expect(ENVIRONMENT_OF_KIND.rotation.read(env('rotate-secrets'))).toMatchObject({ verifyTimeoutSeconds: 120 });
    expect(ENVIRONMENT_OF_KIND.monitor.read(env('monitor'))).toMatchObject({ maxDataAgeSeconds: 5400 });
  });
});
