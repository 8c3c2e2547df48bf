/** Metadata every message carries next to its payload. */
export interface BusMessageMeta {
  /** The handler key (`<service>.<resource>.<verb>`) or, for events, the event name. */
  pattern: string;
  /** "MAJOR.MINOR" of the payload schema, so a consumer can accept the previous one too. */
  version: string;
  /** OpenStack request id (`req-<uuid>`) of the API request that caused the message. */
  requestId?: string;
  /** ISO-8601 time the sender created the message. */
  sentAt: string;
}

// Payloads are JSON decoded from the wire; handlers validate them against their contract DTOs.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type BusHandler = (payload: any, meta: BusMessageMeta) => unknown | Promise<unknown>;

export interface BusSubscription {
  close(): Promise<void>;
}

export interface BusLogger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export interface SendOptions {
  version?: string;
  requestId?: string;
}

export interface CallOptions extends SendOptions {
  timeoutMs?: number;
}

export interface ServeOptions {
  /**
   * The "MAJOR.MINOR" the handlers implement (default 1.0). They take messages of the same major up
   * to that minor, and of the previous major: one release of overlap, so that during a rolling
   * upgrade an old agent and a new API understand each other. A newer message is refused
   * (BusUnsupportedVersionError), never half-understood.
   */
  version?: string;
}

export const DEFAULT_VERSION = '1.0';
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
/** A cast whose handler fails this many times is dead-lettered instead of retried again. */
export const MAX_DELIVERIES = 5;

/**
 * The message bus every service programs against; also the NestJS DI token.
 * Payloads and results travel as JSON on every transport, in-process included.
 */
export abstract class MessageBus {
  /**
   * RPC to one consumer of `topic`. Resolves with the handler's return value; rejects with
   * BusTimeoutError after `timeoutMs` (default 30000) and with BusRemoteError when the handler throws.
   */
  abstract call<T = unknown>(topic: string, pattern: string, payload: unknown, options?: CallOptions): Promise<T>;

  /** Fire-and-forget to exactly one consumer of `topic`; resolves once the broker has taken it. */
  abstract cast(topic: string, pattern: string, payload: unknown, options?: SendOptions): Promise<void>;

  /** Versioned notification `<service>.<resource>.<action>` delivered to every subscriber. */
  abstract publish(event: string, payload: unknown, options?: SendOptions): Promise<void>;

  /** Serves calls and casts sent to `topic` (one queue shared by all servers of the topic). */
  abstract serve(topic: string, handlers: Record<string, BusHandler>, options?: ServeOptions): Promise<BusSubscription>;

  /** Receives every event matching `eventPattern` (`*` one word, `#` any words); one copy per subscription. */
  abstract subscribe(eventPattern: string, handler: BusHandler, options?: ServeOptions): Promise<BusSubscription>;

  abstract close(): Promise<void>;
}
