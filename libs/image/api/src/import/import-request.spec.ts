import { OpenStackError } from '@overcast/shared/core';
import { parseImportRequest } from './import-request';

function refusal(body: unknown, header?: string, enabled: ('glance-direct' | 'web-download')[] = ['glance-direct']): string {
  try {
    parseImportRequest(body, enabled, header);
  } catch (error) {
    expect(error).toBeInstanceOf(OpenStackError);
    expect((error as OpenStackError).status).toBe(400);
    return (error as Error).message;
  }
  throw new Error('expected a 400');
}

describe('parseImportRequest', () => {
  it('reads glance-direct and web-download bodies as the clients send them', () => {
    expect(parseImportRequest({ method: { name: 'glance-direct' } }, ['glance-direct'], undefined)).toEqual({ method: 'glance-direct', uri: undefined, stores: undefined, allStores: false, allStoresMustSucceed: true });
    expect(parseImportRequest({ method: { name: 'web-download', uri: 'http://x/a' }, stores: ['a', 'b', 'a'], all_stores_must_succeed: false }, ['glance-direct', 'web-download'], undefined)).toEqual({
      method: 'web-download',
      uri: 'http://x/a',
      stores: ['a', 'b'],
      allStores: false,
      allStoresMustSucceed: false,
    });
    expect(parseImportRequest({ method: { name: 'glance-direct' } }, ['glance-direct'], 'fast').stores).toEqual(['fast']);
    expect(parseImportRequest({ method: { name: 'glance-direct' }, all_stores: true }, ['glance-direct'], undefined)).toMatchObject({ allStores: true, stores: undefined });
  });

  it('answers a malformed body with Glance’s messages', () => {
    expect(refusal(undefined)).toBe('Body expected in request.');
    expect(refusal([])).toBe('Unexpected body type. Expected list/dict.');
    expect(refusal({})).toBe("Import request requires a 'method' field.");
    expect(refusal({ method: {} })).toBe("Import request requires a 'name' field.");
    expect(refusal({ method: { name: 'glance-direct' }, all_stores_must_succeed: 'no' })).toBe("'all_stores_must_succeed' must be boolean value only");
    expect(refusal({ method: { name: 'glance-direct' }, all_stores: 1 })).toBe("'all_stores' must be boolean value only");
    expect(refusal({ method: { name: 'glance-direct' }, stores: 'local' })).toBe("'stores' must be a non-empty list of store identifiers");
  });

  it('refuses a method this cloud does not offer, web-download included when it is off', () => {
    expect(refusal({ method: { name: 'copy-image' } })).toBe("Unknown import method name 'copy-image'.");
    expect(refusal({ method: { name: 'web-download', uri: 'http://x/a' } })).toBe("Unknown import method name 'web-download'.");
  });

  it('refuses stores named in two ways at once', () => {
    expect(refusal({ method: { name: 'glance-direct' }, all_stores: true, stores: ['a'] })).toBe("All_stores parameter can't be used with x-image-meta-store header or stores parameter");
    expect(refusal({ method: { name: 'glance-direct' }, all_stores: true }, 'a')).toBe("All_stores parameter can't be used with x-image-meta-store header or stores parameter");
    expect(refusal({ method: { name: 'glance-direct' }, stores: ['a'] }, 'a')).toBe("Stores parameter and x-image-meta-store header can't be both specified");
  });
});
