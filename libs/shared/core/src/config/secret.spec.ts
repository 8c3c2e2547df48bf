import { format, inspect } from 'node:util';
import { Secret } from './secret';

const VALUE = 'hunter2-is-the-password';

describe('Secret', () => {
  const secret = new Secret(VALUE);

  it('gives its value only when asked to reveal it', () => {
    expect(secret.reveal()).toBe(VALUE);
  });

  it('prints as *** through toString and string conversion', () => {
    expect(secret.toString()).toBe('***');
    expect(String(secret)).toBe('***');
    expect(`${secret}`).toBe('***');
    expect(`password=${String(secret)}`).toBe('password=***');
    expect(new Error(`cannot log in with ${String(secret)}`).message).not.toContain(VALUE);
  });

  it('serialises as *** in JSON, alone and inside a settings object', () => {
    expect(JSON.stringify(secret)).toBe('"***"');
    expect(JSON.stringify({ compute: { servicePassword: secret } })).toBe('{"compute":{"servicePassword":"***"}}');
  });

  it('inspects as Secret(***), however deep and however inspected', () => {
    expect(inspect(secret)).toBe('Secret(***)');
    expect(inspect({ a: { b: { c: { secret } } } }, { depth: Infinity })).not.toContain(VALUE);
    expect(inspect(secret, { showHidden: true })).not.toContain(VALUE);
    // Even without the custom inspection the private field stays invisible.
    expect(inspect(secret, { customInspect: false, showHidden: true })).not.toContain(VALUE);
    expect(format('%s %o %O %j', secret, secret, { secret }, { secret })).not.toContain(VALUE);
  });

  it('has no enumerable or own properties that could hold the value', () => {
    expect(Object.keys(secret)).toEqual([]);
    expect(Object.getOwnPropertyNames(secret)).toEqual([]);
    expect(JSON.stringify({ ...secret })).toBe('{}');
  });
});
