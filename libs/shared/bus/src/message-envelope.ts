import { BusUnsupportedVersionError } from './bus.errors';
import { type BusHandler, DEFAULT_VERSION, type BusMessageMeta, type SendOptions, type ServeOptions } from './message-bus';

/** What travels on the wire for calls, casts and events (JSON), on every transport. */
export interface RequestEnvelope extends BusMessageMeta {
  /** Calls only: when the caller stops waiting, so a server skips a call nobody waits for. */
  expiresAt?: string;
  payload: unknown;
}

export type ReplyEnvelope = { ok: true; result: unknown } | { ok: false; error: { name: string; message: string } };

const VERSION = /^\d+\.\d+$/;
// Topics are exact routing keys: wildcards would make a server bind to other topics' messages.
const TOPIC = /^[\w-]+(\.[\w-]+)*$/;
const EVENT = /^[\w-]+(\.[\w-]+){2,}$/;
const EVENT_PATTERN = /^([\w-]+|\*|#)(\.([\w-]+|\*|#))*$/;

export function assertTopic(topic: string): void {
  if (!TOPIC.test(topic)) {
    throw new TypeError(`Invalid bus topic "${topic}": dot-separated words without wildcards expected`);
  }
}

export function assertEventName(event: string): void {
  if (!EVENT.test(event)) {
    throw new TypeError(`Invalid event name "${event}": <service>.<resource>.<action> expected`);
  }
}

export function assertEventPattern(pattern: string): void {
  if (!EVENT_PATTERN.test(pattern)) {
    throw new TypeError(`Invalid event pattern "${pattern}": dot-separated words, '*' or '#' expected`);
  }
}

function parseVersion(version: string): [number, number] {
  if (!VERSION.test(version)) {
    throw new TypeError(`Invalid message version "${version}": "MAJOR.MINOR" expected`);
  }
  const [major, minor] = version.split('.').map(Number);
  return [major ?? 0, minor ?? 0];
}

/** Whether handlers implementing `served` take a message of `version` (see ServeOptions). */
export function acceptsVersion(served: string, version: string): boolean {
  const [servedMajor, servedMinor] = parseVersion(served);
  const [major, minor] = parseVersion(version);
  return (major === servedMajor && minor <= servedMinor) || major === servedMajor - 1;
}

/**
 * What a side speaking `ours` sends a side that speaks `theirs` (as its reports say; unknown: an
 * agent from before versions were reported, which speaks 1.0): the older of the two, so that during
 * a rolling upgrade a newer sender never sends what an older receiver refuses. A minor only adds
 * optional fields, which an older receiver passes over, and patterns, which the sender must not
 * use with a receiver that speaks an older minor than they came with.
 */
export function sendVersion(ours: string, theirs: string | null | undefined): string {
  const reported = theirs ?? DEFAULT_VERSION;
  const [ourMajor, ourMinor] = parseVersion(ours);
  const [theirMajor, theirMinor] = parseVersion(reported);
  return theirMajor < ourMajor || (theirMajor === ourMajor && theirMinor < ourMinor) ? reported : ours;
}

/** The handler, refusing the messages of versions it does not implement (see ServeOptions). */
export function versionChecked(handler: BusHandler, options: ServeOptions = {}): BusHandler {
  const served = options.version ?? DEFAULT_VERSION;
  parseVersion(served);
  return (payload, meta) => {
    if (!acceptsVersion(served, meta.version)) {
      throw new BusUnsupportedVersionError(`${meta.pattern} ${meta.version} is newer than this side implements (${served}): upgrade it, or send at ${served}`);
    }
    return handler(payload, meta);
  };
}

export function newRequest(pattern: string, payload: unknown, options: SendOptions, expiresAt?: number): RequestEnvelope {
  const version = options.version ?? DEFAULT_VERSION;
  parseVersion(version);
  return {
    pattern,
    version,
    requestId: options.requestId,
    sentAt: new Date().toISOString(),
    expiresAt: expiresAt === undefined ? undefined : new Date(expiresAt).toISOString(),
    payload,
  };
}

export function encodeRequest(request: RequestEnvelope): string {
  return JSON.stringify(request);
}

/** Returns undefined for anything that is not a well-formed request (such messages are dead-lettered). */
export function decodeRequest(text: string): RequestEnvelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  const request = value as Partial<RequestEnvelope>;
  const wellFormed =
    typeof request.pattern === 'string' &&
    typeof request.version === 'string' &&
    typeof request.sentAt === 'string' &&
    (request.requestId === undefined || typeof request.requestId === 'string') &&
    (request.expiresAt === undefined || typeof request.expiresAt === 'string');
  return wellFormed ? (request as RequestEnvelope) : undefined;
}

export function metaOf(request: RequestEnvelope): BusMessageMeta {
  return { pattern: request.pattern, version: request.version, requestId: request.requestId, sentAt: request.sentAt };
}

export function isExpired(request: RequestEnvelope): boolean {
  return request.expiresAt !== undefined && Date.parse(request.expiresAt) <= Date.now();
}

export function errorReply(error: unknown): ReplyEnvelope {
  return error instanceof Error
    ? { ok: false, error: { name: error.name, message: error.message } }
    : { ok: false, error: { name: 'Error', message: String(error) } };
}

export function encodeReply(reply: ReplyEnvelope): string {
  try {
    return JSON.stringify(reply);
  } catch (error) {
    // e.g. a handler returned a BigInt or a cycle: the caller gets the reason instead of a timeout.
    return JSON.stringify(errorReply(error));
  }
}

export function decodeReply(text: string): ReplyEnvelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || typeof (value as { ok?: unknown }).ok !== 'boolean') {
    return undefined;
  }
  const reply = value as ReplyEnvelope;
  if (!reply.ok && (typeof reply.error?.name !== 'string' || typeof reply.error.message !== 'string')) {
    return undefined;
  }
  return reply;
}
