import { Controller, Get, Header, Inject, Optional, Res } from '@nestjs/common';
import { type Response } from 'express';
import { metricsRegistry } from './metrics';
import { PublicRoute } from './public-route';

export interface HealthCheck {
  name: string;
  /** Resolves when the dependency is usable; rejects (with a reason) when it is not. */
  check(): Promise<void>;
}
export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');

/**
 * oslo.middleware-style `/healthcheck` (plain `OK`, 503 when a dependency fails) and Prometheus `/metrics`.
 * Both answer without a token, as oslo's healthcheck does: load balancers, systemd and Prometheus have none.
 */
@PublicRoute()
@Controller()
export class HealthController {
  constructor(@Optional() @Inject(HEALTH_CHECKS) private readonly checks: HealthCheck[] = []) {}

  @Get('healthcheck')
  async health(@Res() response: Response): Promise<void> {
    const failures: string[] = [];
    await Promise.all(
      this.checks.map(async ({ name, check }) => {
        try {
          await check();
        } catch {
          failures.push(name);
        }
      }),
    );
    response.type('text/plain');
    if (failures.length > 0) {
      response.status(503).send(`FAILED: ${failures.sort().join(', ')}`);
      return;
    }
    response.status(200).send('OK');
  }

  @Get('metrics')
  @Header('Content-Type', metricsRegistry.contentType)
  metrics(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
