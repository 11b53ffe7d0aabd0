/** What a run reports to monitoring, as metrics. */
import type { MetricPoint } from '../core/metrics.js';
import type { RunReport } from './report.js';

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
