import { matchesEventPattern } from './event-pattern';

describe('matchesEventPattern (RabbitMQ topic semantics)', () => {
  it.each([
    ['identity.revocation.created', 'identity.revocation.created', true],
    ['identity.revocation.created', 'identity.revocation.deleted', false],
    ['identity.revocation.*', 'identity.revocation.created', true],
    ['identity.revocation.*', 'identity.revocation.created.end', false],
    ['identity.*.created', 'identity.user.created', true],
    ['identity.#', 'identity.user.created', true],
    ['identity.#', 'identity', true],
    ['identity.#', 'compute.server.created', false],
    ['#.end', 'compute.server.create.end', true],
    ['#.end', 'compute.server.create.start', false],
    ['#', 'anything.at.all', true],
    ['compute.#.end', 'compute.end', true],
    ['*.server.created', 'compute.server.created', true],
    ['*', 'compute.server', false],
  ])('%s matches %s: %s', (pattern, event, expected) => {
    expect(matchesEventPattern(pattern, event)).toBe(expected);
  });
});
