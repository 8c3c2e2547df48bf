import { OpenStackError } from '@overcast/shared/core';
import { accessProject, extraSpecItemBody, extraSpecsBody, refuseCacheableMultiattach, typeCreateBody, typeUpdateBody } from './volume-type-input';

/** The 400's message `work` throws. */
function refusal(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(OpenStackError);
    expect((error as OpenStackError).status).toBe(400);
    return (error as OpenStackError).message;
  }
  throw new Error('expected a 400');
}

describe('typeCreateBody', () => {
  it('reads a type, public unless told otherwise in any of Cinder’s boolean words', () => {
    expect(typeCreateBody({ volume_type: { name: 'fast' } })).toEqual({ name: 'fast', description: null, extraSpecs: {}, isPublic: true });
    expect(typeCreateBody({ volume_type: { name: 'fast', description: 'd', extra_specs: { 'capabilities:x y/z': 'v' }, 'os-volume-type-access:is_public': 'False' } })).toEqual({
      name: 'fast',
      description: 'd',
      extraSpecs: { 'capabilities:x y/z': 'v' },
      isPublic: false,
    });
  });

  it('refuses a missing, blank or too long name with Cinder’s words', () => {
    expect(refusal(() => typeCreateBody({ volume_type: {} }))).toBe("Invalid input for field/attribute name. Value: null. 'name' is a required property");
    expect(refusal(() => typeCreateBody({ volume_type: { name: '  ' } }))).toBe("An invalid 'name' value was provided. The 'name' can not be empty.");
    expect(refusal(() => typeCreateBody({ volume_type: { name: 'n'.repeat(256) } }))).toMatch(/^Invalid input for field\/attribute name\. .*is longer than 255 characters$/);
    expect(refusal(() => typeCreateBody({}))).toBe("Invalid input received: Missing required element 'volume_type' in request body.");
  });

  it('refuses unknown attributes, bad spec keys and long spec values', () => {
    expect(refusal(() => typeCreateBody({ volume_type: { name: 'a', colour: 'red' } }))).toMatch(/Additional properties are not allowed \('colour' was unexpected\)$/);
    expect(refusal(() => typeCreateBody({ volume_type: { name: 'a', extra_specs: { 'a*b': 'x' } } }))).toMatch(/^Invalid input for field\/attribute extra_specs\. .*\('a\*b' was unexpected\)$/);
    expect(refusal(() => typeCreateBody({ volume_type: { name: 'a', extra_specs: { k: 'v'.repeat(256) } } }))).toMatch(/is longer than 255 characters$/);
  });
});

describe('typeUpdateBody', () => {
  it('takes null as no change, and wants at least one change', () => {
    expect(typeUpdateBody({ volume_type: { description: 'new', name: null } })).toEqual({ description: 'new' });
    expect(typeUpdateBody({ volume_type: { is_public: 'true' } })).toEqual({ isPublic: true });
    expect(refusal(() => typeUpdateBody({ volume_type: {} }))).toBe('Specify volume type name, description, is_public or a combination thereof.');
    expect(refusal(() => typeUpdateBody({ volume_type: { name: ' ' } }))).toBe('Volume type name can not be empty.');
  });
});

describe('extra specs bodies', () => {
  it('takes keys without spaces or slashes', () => {
    expect(extraSpecsBody({ extra_specs: { volume_backend_name: 'ssd', 'capabilities:thin': '<is> True' } })).toEqual({ volume_backend_name: 'ssd', 'capabilities:thin': '<is> True' });
    expect(refusal(() => extraSpecsBody({ extra_specs: { 'a b': 'x' } }))).toMatch(/\('a b' was unexpected\)$/);
    expect(refusal(() => extraSpecsBody({}))).toMatch(/'extra_specs' is a required property$/);
  });

  it('updates exactly the key of the URL', () => {
    expect(extraSpecItemBody({ multiattach: '<is> True' }, 'multiattach')).toEqual({ multiattach: '<is> True' });
    expect(refusal(() => extraSpecItemBody({ other: 'x' }, 'multiattach'))).toBe('Request body and URI mismatch');
    expect(refusal(() => extraSpecItemBody({ a: 'x', b: 'y' }, 'a'))).toBe('Request body contains too many items.');
    expect(refusal(() => extraSpecItemBody({ 'a/b': 'x' }, 'a/b'))).toMatch(/\('a\/b' was unexpected\)$/);
  });

  it('refuses a type both multiattach and cacheable', () => {
    expect(refusal(() => refuseCacheableMultiattach({ cacheable: '<is> True' }, { multiattach: '<is> True' }))).toBe('cacheable cannot be set with multiattach.');
    expect(() => refuseCacheableMultiattach({ cacheable: '<is> True', multiattach: '<is> True' }, { other: 'x' })).not.toThrow();
    expect(() => refuseCacheableMultiattach({ cacheable: '<is> True' }, { multiattach: '<is> False' })).not.toThrow();
  });
});

describe('accessProject', () => {
  it('reads the project of an access action, and nothing else', () => {
    expect(accessProject({ addProjectAccess: { project: 'p1' } }, 'addProjectAccess')).toBe('p1');
    expect(refusal(() => accessProject({ removeProjectAccess: { project: '' } }, 'removeProjectAccess'))).toMatch(/^Invalid input for field\/attribute project\./);
    expect(refusal(() => accessProject({ addProjectAccess: { project: 'p', extra: 1 } }, 'addProjectAccess'))).toMatch(/\('extra' was unexpected\)$/);
  });
});
