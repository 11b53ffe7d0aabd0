/**
 * `npm run test:crash -- --trials N [--events E] [--seed S]`: N randomized crash trials (see
 * harness.ts). Prints one line per trial and, last, one JSON object with the number of trials
 * and failures; exits non-zero when any trial failed.
 */
import { parseArgs } from 'node:util';
import { describeTrial, prepareReference, randomTrials, runTrial } from './harness.js';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '20' }, events: { type: 'string', default: '20000' }, seed: { type: 'string', default: String(Date.now() % 100_000) } } });
const trials = Number(values.trials);
const events = Number(values.events);
const seed = Number(values.seed);
if (![trials, events, seed].every(Number.isInteger) || trials < 1 || events < 1) {
  process.stderr.write('usage: npm run test:crash -- --trials N [--events E] [--seed S]\n');
  process.exit(2);
}

const reference = await prepareReference({ events, seed: 1 });
process.stdout.write(`clean run: ${reference.tree.size} files on the branch, ${Math.round(reference.milliseconds)} ms; trial seed ${seed}\n`);
let failures = 0;
let killed = 0;
for (const [index, trial] of randomTrials(reference, trials, seed).entries()) {
  const result = await runTrial(reference, trial);
  if (result.killed) killed++;
  if (result.differences.length > 0) failures++;
  const verdict = result.differences.length === 0 ? 'ok' : `FAILED: ${result.differences.join('; ')}`;
  process.stdout.write(`trial ${index + 1}/${trials}: ${describeTrial(trial)}${result.killed ? '' : ' (finished before the kill)'}: ${verdict}\n`);
}
process.stdout.write(`${JSON.stringify({ trials, failures, killed, events, seed })}\n`);
process.exitCode = failures > 0 ? 1 : 0;
