/** The first-day setting, from the deployment's configuration to what the drain reads. */
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../infra/config.js';
import { pipelineSettings } from '../../infra/stack.js';
import { PIPELINE_STEP_ENVIRONMENT } from '../../functions/config/environment.js';
import { DEFAULT_CONFIG } from '../../functions/config/pipeline.js';
import { tempDir } from '../support/temp.js';

/** What a step reads from an environment holding these variables besides the required ones. */
const firstDayOf = (env: NodeJS.ProcessEnv) => PIPELINE_STEP_ENVIRONMENT.read({ BUCKET_NAME: 'logpublish', GITHUB_REPOSITORY: 'futel/usage', ...env }).pipeline.firstDay;

describe('the first day before which events are quarantined', () => {
  it('defaults to 2010-01-01, and is read from FIRST_DAY in the Lambda environment', () => {
    expect(DEFAULT_CONFIG.firstDay).toBe('20100101');
    expect(firstDayOf({})).toBe('20100101');
    expect(firstDayOf({ FIRST_DAY: '2021-06-01' })).toBe('20210601');
    expect(firstDayOf({ FIRST_DAY: 'none' })).toBeNull();
    expect(() => firstDayOf({ FIRST_DAY: '2021-02-30' })).toThrow('environment variable FIRST_DAY: expected a real date as YYYY-MM-DD, or none');
  });

  it('reaches the functions from USAGE_PIPELINE_FIRST_DAY, and a bad value stops synth naming it', async () => {
    const cwd = await tempDir();
    const { config } = loadConfig({ env: { USAGE_PIPELINE_FIRST_DAY: '2021-06-01' }, cwd });
    expect(config.firstDay).toBe('2021-06-01');
    const written = (settings: ReturnType<typeof pipelineSettings>) =>
      PIPELINE_STEP_ENVIRONMENT.write({ bucket: 'logpublish', github: { repository: 'futel/usage', branch: 'gh-pages' }, pipeline: settings });
    expect(firstDayOf(written(pipelineSettings(config)))).toBe('20210601');
    expect(firstDayOf(written(pipelineSettings(loadConfig({ env: {}, cwd }).config)))).toBe('20100101');
    expect(() => loadConfig({ env: { USAGE_PIPELINE_FIRST_DAY: '2021-13-01' }, cwd })).toThrow(/firstDay \(from USAGE_PIPELINE_FIRST_DAY\): a real date as YYYY-MM-DD, or none/);
  });
});
