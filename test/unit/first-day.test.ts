/** The first-day setting, from the deployment's configuration to what the drain reads. */
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../infra/config.js';
import { pipelineSettings } from '../../infra/stack.js';
import { configFromEnvironment, DEFAULT_CONFIG } from '../../functions/pipeline/config.js';
import { tempDir } from '../support/temp.js';

describe('the first day before which events are quarantined', () => {
  it('defaults to 2010-01-01, and is read from FIRST_DAY in the Lambda environment', () => {
    expect(DEFAULT_CONFIG.firstDay).toBe('20100101');
    expect(configFromEnvironment({}).firstDay).toBe('20100101');
    expect(configFromEnvironment({ FIRST_DAY: '2021-06-01' }).firstDay).toBe('20210601');
    expect(configFromEnvironment({ FIRST_DAY: 'none' }).firstDay).toBeNull();
    expect(() => configFromEnvironment({ FIRST_DAY: '2021-02-30' })).toThrow('environment variable FIRST_DAY: expected a real date as YYYY-MM-DD, or none');
  });

  it('reaches the functions from USAGE_PIPELINE_FIRST_DAY, and a bad value stops synth naming it', async () => {
    const cwd = await tempDir();
    const { config } = loadConfig({ env: { USAGE_PIPELINE_FIRST_DAY: '2021-06-01' }, cwd });
    expect(config.firstDay).toBe('2021-06-01');
    expect(configFromEnvironment(pipelineSettings(config)).firstDay).toBe('20210601');
    expect(configFromEnvironment(pipelineSettings(loadConfig({ env: {}, cwd }).config)).firstDay).toBe('20100101');
    expect(() => loadConfig({ env: { USAGE_PIPELINE_FIRST_DAY: '2021-13-01' }, cwd })).toThrow(/firstDay \(from USAGE_PIPELINE_FIRST_DAY\): a real date as YYYY-MM-DD, or none/);
  });
});
