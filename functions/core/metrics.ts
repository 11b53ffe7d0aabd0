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

