import { badRequest } from '@overcast/shared/core';
import { queryText } from '../common/nova-list';

/** The formats Nova's usage takes (`%Y-%m-%dT%H:%M:%S`, with `.%f`, or `%Y-%m-%d %H:%M:%S.%f`), always UTC. */
const NOVA_DATETIME = /^(\d{4})-(\d{1,2})-(\d{1,2})([T ])(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?$/;

const invalidDatetime = () => badRequest('Invalid datetime string: Datetime is in invalid format');

/** A query's date as Nova's simple tenant usage parses it; none (or empty) is now. */
function parseNovaDatetime(text: string | undefined, now: Date): Date {
  if (!text) {
    return now;
  }
  const match = NOVA_DATETIME.exec(text);
  if (match === null || (match[4] === ' ' && match[8] === undefined)) {
    throw invalidDatetime();
  }
  const [year, month, day, hour, minute, second] = [match[1], match[2], match[3], match[5], match[6], match[7]].map(Number) as [number, number, number, number, number, number];
  const milliseconds = Number((match[8] ?? '0').padEnd(6, '0').slice(0, 3));
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, milliseconds));
  // Date.UTC rolls 2024-02-30 over to March; strptime refuses it.
  const fields = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()];
  if (fields.join() !== [year, month, day, hour, minute, second].join()) {
    throw invalidDatetime();
  }
  return date;
}

export interface UsageWindow {
  start: Date;
  /** The window's end, never later than now: usage is not forecast. */
  stop: Date;
}

/** `start` and `end` of a usage query; the start must come first. */
export function usageWindow(query: Record<string, unknown>, now = new Date()): UsageWindow {
  const startText = queryText(query, 'start');
  const endText = queryText(query, 'end');
  const start = parseNovaDatetime(startText, now);
  const end = parseNovaDatetime(endText, now);
  // Neither given is an empty window ending now (Nova reads the clock twice and never sees them equal).
  if (start >= end && (startText || endText)) {
    throw badRequest('Invalid start time. The start time cannot occur after the end time.');
  }
  return { start, stop: end > now ? now : end };
}
