/** Metrics, as a port: what is measured is the caller's business, where it goes the sink's. */
export type MetricUnit = 'Count' | 'Seconds';

export interface MetricPoint {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly value: number;
}

export interface MetricsSink {
  publish(points: readonly MetricPoint[]): void;
}

/** The CloudWatch namespace of every metric the pipeline publishes. */
export const NAMESPACE = 'UsagePipeline';

/**
 * The `service` dimension of each publisher's metrics (Powertools Metrics adds its service name
 * as one). An alarm matches a metric only when it names every dimension, so the alarms and the
 * publishers take the name from here.
 */
export const METRIC_SERVICE = {
  /** The pipeline's steps: the run's counts (DaysRefused, FilesPublished, …) and PublishBacklog after each publish. */
  pipeline: 'usage-pipeline',
  /** The monitor: the data's age, the queues' depths, the last run, the publish backlog. */
  monitor: 'usage-pipeline-monitor',
} as const;
