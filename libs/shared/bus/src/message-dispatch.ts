import { MAX_DELIVERIES, type BusHandler, type BusLogger } from './message-bus';
import {
  decodeRequest,
  encodeReply,
  errorReply,
  isExpired,
  metaOf,
  type ReplyEnvelope,
  type RequestEnvelope,
} from './message-envelope';

/**
 * What a transport does with a delivered message once its handler has finished. Both transports
 * settle messages through these functions, so retries, dead-lettering and replies behave the same.
 */
export type Settlement =
  /** Done; for a call, `reply` is sent to the caller first. */
  | { action: 'ack'; reply?: string }
  /** Deliver again (to any server of the topic). */
  | { action: 'requeue' }
  /** Never deliver again; kept for an operator where the transport can (AMQP: overcast.dead-letter). */
  | { action: 'dead-letter' };

export interface Delivery {
  /** A call expects a reply; a cast does not. */
  isCall: boolean;
  /** How many times this message has been delivered, this time included. */
  deliveries: number;
}

export async function dispatchRequest(
  topic: string,
  handlers: Record<string, BusHandler>,
  body: string,
  delivery: Delivery,
  logger: BusLogger,
): Promise<Settlement> {
  const request = decodeRequest(body);
  if (request === undefined) {
    logger.error(`bus: malformed message on topic ${topic} dead-lettered`);
    return { action: 'dead-letter' };
  }
  const where = `${topic} ${request.pattern}`;
  if (delivery.isCall) {
    if (isExpired(request)) {
      logger.warn(`bus: call ${where} skipped: its caller stopped waiting`);
      return { action: 'ack' };
    }
    // A failing call is answered with the error, never retried: the caller decides what to do.
    return { action: 'ack', reply: encodeReply(await runHandler(handlers, request)) };
  }
  const outcome = await runHandler(handlers, request);
  if (outcome.ok) {
    return { action: 'ack' };
  }
  const failure = `${outcome.error.name}: ${outcome.error.message}`;
  // Another delivery would meet the same version.
  if (delivery.deliveries < MAX_DELIVERIES && outcome.error.name !== 'BusUnsupportedVersionError') {
    logger.warn(`bus: cast ${where} failed (attempt ${delivery.deliveries} of ${MAX_DELIVERIES}), retrying: ${failure}`);
    return { action: 'requeue' };
  }
  logger.error(`bus: cast ${where} dead-lettered after ${delivery.deliveries} attempts: ${failure}`);
  return { action: 'dead-letter' };
}

/** Events get one attempt: a subscriber that cannot process one has it dead-lettered. */
export async function dispatchEvent(
  subscription: string,
  handler: BusHandler,
  body: string,
  logger: BusLogger,
): Promise<Settlement> {
  const request = decodeRequest(body);
  if (request === undefined) {
    logger.error(`bus: malformed event for subscription ${subscription} dead-lettered`);
    return { action: 'dead-letter' };
  }
  const outcome = await runHandler({ [request.pattern]: handler }, request);
  if (outcome.ok) {
    return { action: 'ack' };
  }
  logger.error(`bus: event ${request.pattern} dead-lettered by subscription ${subscription}: ${outcome.error.name}: ${outcome.error.message}`);
  return { action: 'dead-letter' };
}

async function runHandler(handlers: Record<string, BusHandler>, request: RequestEnvelope): Promise<ReplyEnvelope> {
  const handler = Object.hasOwn(handlers, request.pattern) ? handlers[request.pattern] : undefined;
  if (handler === undefined) {
    return { ok: false, error: { name: 'BusUnknownPatternError', message: `No handler for pattern "${request.pattern}"` } };
  }
  try {
    return { ok: true, result: await handler(request.payload, metaOf(request)) };
  } catch (error) {
    return errorReply(error);
  }
}
