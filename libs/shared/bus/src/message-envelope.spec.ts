import { acceptsVersion, decodeReply, decodeRequest, encodeReply, encodeRequest, newRequest, sendVersion } from './message-envelope';

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

  it.each([
    ['1.1', '1.0', '1.0'],
    ['1.0', '1.1', '1.0'],
    ['1.10', '1.9', '1.9'],
    ['2.0', '1.7', '1.7'],
    ['1.2', '1.2', '1.2'],
  ])('sends a side speaking %s a side speaking %s at %s, which that side takes', (ours, theirs, sent) => {
    expect(sendVersion(ours, theirs)).toBe(sent);
    expect(acceptsVersion(theirs, sendVersion(ours, theirs))).toBe(true);
  });

  it('sends a side that never said its version at 1.0, and refuses versions that are not MAJOR.MINOR', () => {
    expect(sendVersion('1.1', null)).toBe('1.0');
    expect(() => sendVersion('1', '1.0')).toThrow(TypeError);
  });
});
