import { decodeReply, decodeRequest, encodeReply, encodeRequest, newRequest } from './message-envelope';

describe('message envelope', () => {
  it('round-trips a request with its metadata', () => {
    const request = newRequest('compute.servers.boot', { id: 1 }, { version: '2.3', requestId: 'req-1' });

    expect(decodeRequest(encodeRequest(request))).toEqual({
      pattern: 'compute.servers.boot',
      version: '2.3',
      requestId: 'req-1',
      sentAt: request.sentAt,
      payload: { id: 1 },
    });
  });

  it.each([
    ['not JSON', 'boot the server'],
    ['JSON but not an object', '"boot"'],
    ['null', 'null'],
    ['no pattern', JSON.stringify({ version: '1.0', sentAt: '2026-01-01T00:00:00Z', payload: {} })],
    ['a non-string request id', JSON.stringify({ pattern: 'p', version: '1.0', sentAt: 'x', requestId: 7 })],
  ])('refuses %s', (_case, text) => {
    expect(decodeRequest(text)).toBeUndefined();
  });

  it('turns an unserialisable result into an error reply', () => {
    const reply = decodeReply(encodeReply({ ok: true, result: { size: 10n } }));

    expect(reply).toMatchObject({ ok: false, error: { name: 'TypeError' } });
  });

  it('refuses malformed replies', () => {
    expect(decodeReply('{}')).toBeUndefined();
    expect(decodeReply('{"ok":false,"error":{}}')).toBeUndefined();
    expect(decodeReply('nope')).toBeUndefined();
  });
});
