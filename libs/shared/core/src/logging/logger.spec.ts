import { Writable } from 'node:stream';
import { Secret } from '../config/secret';
import { createLogger, NestPinoLogger } from './logger';
import { currentRequestId, newRequestId, requestContext } from './request-context';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', name: 'compute', destination }) };
}

describe('createLogger', () => {
  it('writes JSON lines with the level, name and pid', () => {
    const { lines, logger } = capture();
    logger.info({ server: 's1' }, 'spawned');
    expect(lines).toEqual([expect.objectContaining({ level: 30, name: 'compute', pid: process.pid, server: 's1', msg: 'spawned' })]);
  });

  it('names the request id on every line logged inside a request, and only there', async () => {
    const { lines, logger } = capture();
    const requestId = newRequestId();
    expect(requestId).toMatch(/^req-[0-9a-f-]{36}$/);
    await requestContext.run({ requestId }, async () => {
      expect(currentRequestId()).toBe(requestId);
      await Promise.resolve();
      logger.info('inside');
    });
    logger.info('outside');
    expect(currentRequestId()).toBeUndefined();
    expect(lines[0]).toMatchObject({ msg: 'inside', request_id: requestId });
    expect(lines[1]).not.toHaveProperty('request_id');
  });

  it('never writes a password, token or Secret', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        password: 'pw-1',
        user: { password: 'pw-2', name: 'alice' },
        auth: { identity: { password: 'pw-3' } },
        token: 'tok-1',
        secret: 'sec-1',
        headers: { 'x-auth-token': 'tok-2', 'x-subject-token': 'tok-3', accept: 'application/json' },
        settings: { servicePassword: new Secret('pw-4') },
      },
      'request',
    );
    const written = JSON.stringify(lines);
    for (const value of ['pw-1', 'pw-2', 'pw-3', 'pw-4', 'tok-1', 'tok-2', 'tok-3', 'sec-1']) {
      expect(written).not.toContain(value);
    }
    expect(lines[0]).toMatchObject({ user: { name: 'alice' }, headers: { accept: 'application/json' } });
  });

  it('routes NestJS messages by level', () => {
    const { lines, logger } = capture();
    const nest = new NestPinoLogger(logger);
    nest.log('started', 'NestApplication');
    nest.warn('slow', 'Router');
    nest.error('failed', 'trace here', 'Injector');
    nest.debug('details', 'Injector');
    expect(lines.map((line) => [line['level'], line['msg'], line['context']])).toEqual([
      [30, 'started', 'NestApplication'],
      [40, 'slow', 'Router'],
      [50, 'failed', 'Injector'],
      [20, 'details', 'Injector'],
    ]);
    expect(lines[2]).toMatchObject({ trace: 'trace here' });
  });
});
