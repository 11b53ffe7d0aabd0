/**
 * The alarms on the pipeline's own metrics watch what the code really emits: for each such alarm,
 * the metric goes out through the real sink (Powertools' embedded metric format) under that
 * publisher's service, and its name and dimensions are exactly what the alarm names. An alarm
 * whose dimensions differ by one key never fires, silently.
 */
import { jest } from '@jest/globals';
import { emfMetricsSink } from '../../functions/adapters/emf-metrics.js';
import { NAMESPACE, type MetricPoint } from '../../functions/core/metrics.js';
import { SERVICE_NAMES } from '../../functions/config/environment.js';
import { runMetrics } from '../../functions/pipeline/metrics.js';
import { emptyTotals } from '../../functions/pipeline/drain.js';
import { statusMetrics, type PipelineStatus } from '../../functions/monitor/status.js';
import { resourcesOf, synthesize, type Synthesized } from './support.js';

let plain: Synthesized;
beforeAll(async () => {
  plain = await synthesize();
});

interface EmittedMetric {
  readonly name: string;
  readonly dimensions: Record<string, string>;
  readonly namespace: string;
}

/** What the sink writes for these points, read back from its log line. */
function emitted(serviceName: string, points: MetricPoint[]): EmittedMetric[] {
  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    emfMetricsSink({ serviceName }).publish(points);
  } finally {
    write.mockRestore();
  }
  return lines
    .flatMap((line) => line.split('\n'))
    .filter((line) => line.includes('CloudWatchMetrics'))
    .flatMap((line) => {
      const entry = JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } };
      return entry._aws.CloudWatchMetrics.flatMap((directive) =>
        directive.Metrics.map((metric) => ({
          name: metric.Name,
          namespace: directive.Namespace,
          dimensions: Object.fromEntries((directive.Dimensions[0] ?? []).map((key) => [key, String(entry[key])])),
        })),
      );
    });
}

const report = { runId: 'r', mode: 'scheduled' as const, ...emptyTotals(), daysMerged: 1, daysBuilt: 1, daysRefused: 1, rejectedLines: 0, filesPublished: 3, commit: null, publishBacklog: 0, publishStoppedBy: null };
const status: PipelineStatus = {
  checkedAt: '2025-03-02T06:00:00Z',
  lastUpdated: '2025-03-02 03:00:00+00:00',
  dataAgeSeconds: 10_800,
  maxAgeSeconds: 21_600,
  stale: false,
  queue: { visible: 0, inFlight: 0 },
  deadLetters: { visible: 0, inFlight: 0 },
  lastRun: { runId: 'r', status: 'SUCCEEDED' },
  lock: null,
  publishBacklog: 12,
  problems: [],
};

/** Every metric of ours, as each publisher emits it. */
const published = (): EmittedMetric[] => [
  ...emitted(SERVICE_NAMES.pipeline, runMetrics(report, 12)),
  ...emitted(SERVICE_NAMES.pipeline, [{ name: 'PublishBacklog', unit: 'Count', value: 0 }]),
  ...emitted(SERVICE_NAMES.monitor, statusMetrics(status)),
];

describe('the alarms on the pipeline\'s own metrics', () => {
  it('each watch a metric the code emits, with exactly its dimensions', () => {
    const ours = resourcesOf(plain.tf, 'aws_cloudwatch_metric_alarm').filter(([, alarm]) => alarm.namespace === NAMESPACE);
    expect(ours.map(([, alarm]) => alarm.metric_name).sort()).toEqual(['DataAgeSeconds', 'DaysRefused', 'PublishBacklog']);
    const metrics = published();
    for (const [, alarm] of ours) {
      const match = metrics.find((metric) => metric.name === alarm.metric_name && JSON.stringify(metric.dimensions) === JSON.stringify(alarm.dimensions));
      expect({ alarm: alarm.alarm_name, emitted: match !== undefined }).toEqual({ alarm: alarm.alarm_name, emitted: true });
    }
  });

  it('fire on any refused day within one period', () => {
    const alarm = resourcesOf(plain.tf, 'aws_cloudwatch_metric_alarm').find(([, a]) => a.alarm_name === 'usage-pipeline-days-refused')?.[1];
    expect(alarm).toMatchObject({ statistic: 'Sum', comparison_operator: 'GreaterThanThreshold', threshold: 0, evaluation_periods: 1, period: 300, treat_missing_data: 'notBreaching' });
  });

  it('fire when the publish backlog has not reached zero in any hour of the configured window', async () => {
    const alarm = (s: Synthesized) => resourcesOf(s.tf, 'aws_cloudwatch_metric_alarm').find(([, a]) => a.alarm_name === 'usage-pipeline-publish-backlog')?.[1];
    expect(alarm(plain)).toMatchObject({ statistic: 'Minimum', period: 3600, evaluation_periods: 6, threshold: 0, comparison_operator: 'GreaterThanThreshold' });
    expect(alarm(await synthesize({ alarms: { publishBacklogHours: 12 } }))).toMatchObject({ evaluation_periods: 12 });
  });
});
