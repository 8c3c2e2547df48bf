import { type NextFunction, type Request, type Response } from 'express';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** One registry per process: in the all-in-one every service's series share it, told apart by label. */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

const requestDuration = new Histogram({
  name: 'overcast_http_request_duration_seconds',
  help: 'API request latency by service, method, route and status',
  labelNames: ['service', 'method', 'route', 'status'],
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers: [metricsRegistry],
});

export function metricsMiddleware(service: string) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const stop = requestDuration.startTimer({ service, method: request.method });
    response.on('finish', () => {
      // The matched route pattern keeps label cardinality bounded; unmatched paths are one bucket.
      const route = (request.route as { path?: string } | undefined)?.path ?? 'unmatched';
      stop({ route, status: String(response.statusCode) });
    });
    next();
  };
}
