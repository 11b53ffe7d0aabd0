/** Metrics as CloudWatch embedded metric format log lines, through Powertools. */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { NAMESPACE, type MetricPoint, type MetricsSink } from '../core/metrics.js';
import { SERVICE_NAMES } from '../config/environment.js';

const UNITS = { Count: MetricUnit.Count, Seconds: MetricUnit.Seconds } as const;

export function emfMetricsSink(options: { serviceName?: string; dimensions?: Record<string, string> } = {}): MetricsSink {
  const metrics = new Metrics({ namespace: NAMESPACE, serviceName: options.serviceName ?? SERVICE_NAMES.pipeline, ...(options.dimensions ? { defaultDimensions: options.dimensions } : {}) });
  return {
    publish(points: readonly MetricPoint[]) {
      for (const point of points) metrics.addMetric(point.name, UNITS[point.unit], point.value);
      metrics.publishStoredMetrics();
    },
  };
}
