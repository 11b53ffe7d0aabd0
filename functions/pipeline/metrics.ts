/** What a run reports to monitoring, as metrics; where they go is the sink's business. */
import type { RunReport } from './report.js';

export type MetricUnit = 'Count' | 'Seconds';

export interface MetricPoint {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly value: number;
}

export interface MetricsSink {
  publish(points: readonly MetricPoint[]): void;
}

export const NAMESPACE = 'UsagePipeline';

export const noMetrics: MetricsSink = { publish() {} };

export function runMetrics(report: Omit<RunReport, 'finishedAt'>, durationSeconds: number): MetricPoint[] {
  return [
    { name: 'EventsReceived', unit: 'Count', value: report.received },
    { name: 'EventsKept', unit: 'Count', value: report.kept },
    { name: 'EventsDroppedHostname', unit: 'Count', value: report.dropped.hostname },
    { name: 'EventsDroppedChannel', unit: 'Count', value: report.dropped.channel },
    { name: 'EventsDroppedEvent', unit: 'Count', value: report.dropped.event },
    { name: 'EventsMalformed', unit: 'Count', value: report.malformed },
    { name: 'LinesRejected', unit: 'Count', value: report.rejectedLines },
    { name: 'DaysMerged', unit: 'Count', value: report.daysMerged },
    { name: 'DaysBuilt', unit: 'Count', value: report.daysBuilt },
    { name: 'DaysRefused', unit: 'Count', value: report.daysRefused },
    { name: 'FilesPublished', unit: 'Count', value: report.filesPublished },
    { name: 'RunDuration', unit: 'Seconds', value: durationSeconds },
  ];
}
