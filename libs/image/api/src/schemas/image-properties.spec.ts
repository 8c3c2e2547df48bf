import {
  ACCEPT_PATCH,
  applyImagePatch,
  type ApplyImagePatchOptions,
  checkImageCreate,
  GLANCE_CONFIG_DEFAULTS,
  type GlanceError,
  IMAGE_READONLY_PROPERTIES,
  isGlanceError,
  PATCH_MEDIA_TYPES,
  patchDraftFor,
} from './image-properties';

const V20 = 'application/openstack-images-v2.0-json-patch';
const V21 = 'application/openstack-images-v2.1-json-patch';

function image(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    os_distro: 'cirros',
    foo: 'bar',
    id: '1bea47ed-f6a9-463b-b423-14b9cca9ad27',
    name: 'cirros',
    status: 'active',
    visibility: 'private',
    protected: false,
    os_hidden: false,
    owner: 'p1',
    disk_format: 'qcow2',
    container_format: 'bare',
    size: 1024,
    virtual_size: null,
    checksum: null,
    os_hash_algo: null,
    os_hash_value: null,
    min_disk: 0,
    min_ram: 0,
    tags: ['a'],
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-01T00:00:00Z',
    self: '/v2/images/1bea47ed-f6a9-463b-b423-14b9cca9ad27',
    file: '/v2/images/1bea47ed-f6a9-463b-b423-14b9cca9ad27/file',
    schema: '/v2/schemas/image',
    ...overrides,
  };
}

/** The GlanceError a call throws (fails the test if it throws nothing, or something else). */
function errorOf(call: () => unknown): GlanceError {
  try {
    call();
  } catch (error) {
    if (isGlanceError(error)) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a GlanceError');
}

const patch = (operations: unknown, options: Partial<ApplyImagePatchOptions> = {}, target = image()) => applyImagePatch(target, operations, { isAdmin: false, ...options });
const patchError = (operations: unknown, options: Partial<ApplyImagePatchOptions> = {}, target = image()) => errorOf(() => patch(operations, options, target));

describe('Glance configuration defaults', () => {
  it('pins the quotas and list limits', () => {
    expect(GLANCE_CONFIG_DEFAULTS).toMatchObject({ image_property_quota: 128, image_tag_quota: 128, image_member_quota: 128, limit_param_default: 25, api_limit_max: 1000 });
  });
});

describe('PATCH media types', () => {
  it('accepts the v2.0 (draft 4) and v2.1 (draft 10) types, parameters aside', () => {
    expect(PATCH_MEDIA_TYPES).toEqual([V20, V21]);
    expect(patchDraftFor(V21)).toBe(10);
    expect(patchDraftFor(`${V20}; charset=UTF-8`)).toBe(4);
  });

  it('refuses any other with 415, Accept-Patch and webob’s message', () => {
    const error = errorOf(() => patchDraftFor('application/json-patch+json'));
    expect(error).toEqual({
      status: 415,
      message: 'The request media type application/json-patch+json is not supported by this server.',
      headers: { 'Accept-Patch': 'application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch' },
    });
    expect(ACCEPT_PATCH).toBe(`${V20}, ${V21}`);
    expect(errorOf(() => patch([], { contentType: 'application/json' })).status).toBe(415);
  });
});


describe('applyImagePatch', () => {
  describe('what it changes', () => {
    it('replaces base attributes and custom properties, without touching its input', () => {
      const before = image();
      const result = applyImagePatch(
        before,
        [
          { op: 'replace', path: '/name', value: 'fedora' },
          { op: 'replace', path: '/foo', value: 'baz' },
          { op: 'add', path: '/hw_disk_bus', value: 'scsi' },
          { op: 'remove', path: '/os_distro' },
        ],
        { isAdmin: false },
      );
      expect(result.attributes).toEqual({ name: 'fedora' });
      expect(result.properties).toEqual({ foo: 'baz', hw_disk_bus: 'scsi' });
      expect(result.image).toMatchObject({ name: 'fedora', foo: 'baz', hw_disk_bus: 'scsi', status: 'active' });
      expect(result.image).not.toHaveProperty('os_distro');
      expect(result.modified).toBe(true);
      expect(before).toEqual(image());
    });

    it('saves nothing for an empty patch, and checks no policy', () => {
      expect(patch([], { canModify: false })).toMatchObject({ modified: false, attributes: {} });
    });

    it('treats a v2.1 add of an existing property as a set, a v2.0 one as a conflict', () => {
      expect(patch([{ op: 'add', path: '/foo', value: 'baz' }]).properties['foo']).toBe('baz');
      expect(patch([{ op: 'add', path: '/name', value: 'x' }]).attributes).toEqual({ name: 'x' });
      expect(patchError([{ add: '/foo', value: 'baz' }], { contentType: V20 })).toEqual({ status: 409, message: 'Property foo already present.' });
      expect(patchError([{ add: '/name', value: 'x' }], { contentType: V20 })).toEqual({ status: 409, message: 'Property name already present.' });
      expect(patch([{ add: '/new', value: 'x' }, { replace: '/name', value: 'y' }], { contentType: V20 }).image).toMatchObject({ new: 'x', name: 'y' });
    });

    it('dedupes tags', () => {
      expect(patch([{ op: 'replace', path: '/tags', value: ['x', 'y', 'x'] }]).attributes.tags).toEqual(['x', 'y']);
    });

    it('decodes ~1 and ~0 in pointers', () => {
      expect(patch([{ op: 'add', path: '/a~1b~0c', value: 'v' }]).properties).toHaveProperty(['a/b~c'], 'v');
    });

    it('keeps a property named __proto__ a property', () => {
      const result = patch([{ op: 'add', path: '/__proto__', value: 'v' }]);
      expect(Object.keys(result.properties)).toContain('__proto__');
      expect(Object.getPrototypeOf(result.properties)).toBe(Object.prototype);
    });
  });

  describe('the body (400)', () => {
    it.each([
      ['no body', undefined, 'Body expected in request.'],
      ['an object', { op: 'add', path: '/a', value: 'b' }, 'Request body must be a JSON array of operation objects.'],
      ['a string', 'just some string', 'Unexpected body type. Expected list/dict.'],
      ['null', null, 'Unexpected body type. Expected list/dict.'],
      ['a non-object operation', [['a', 'list']], 'Operations must be JSON objects.'],
    ])('refuses %s', (_case, body, message) => {
      expect(patchError(body)).toEqual({ status: 400, message });
    });
  });

  describe('operations (400)', () => {
    it('needs an op', () => {
      expect(patchError([{ path: '/name', value: 'x' }])).toEqual({
        status: 400,
        message: 'Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.',
      });
    });

    it.each(['test', 'move', 'copy', 'invalid'])('refuses the %s op', (op) => {
      expect(patchError([{ op, path: '/name', value: 'x', from: '/foo' }])).toEqual({
        status: 400,
        message: `Invalid operation: \`${op}\`. It must be one of the following: add, remove, replace.`,
      });
    });

    it('needs a path and, but for remove, a value', () => {
      expect(patchError([{ op: 'replace', value: 'x' }])).toEqual({ status: 400, message: "Unable to find 'path' in JSON Schema change" });
      expect(patchError([{ op: 'replace', path: '/name' }])).toEqual({ status: 400, message: 'Operation "replace" requires a member named "value".' });
      expect(patchError([{ add: '/name' }], { contentType: V20 })).toEqual({ status: 400, message: 'Operation "add" requires a member named "value".' });
    });

    it('wants exactly one op member in v2.0', () => {
      expect(patchError([{ replace: '/foo', add: '/bar', value: 'x' }], { contentType: V20 }).message).toBe(
        'Operation objects must contain only one member named "add", "remove", or "replace".',
      );
      expect(patchError([{ value: 'x' }], { contentType: V20 }).message).toBe('Operation objects must contain exactly one member named "add", "remove", or "replace".');
    });

    it.each([
      ['name', 'Pointer `name` does not start with "/".'],
      ['///twoslash', 'Pointer `///twoslash` contains adjacent "/".'],
      ['/two/   /slash', 'Pointer `/two/   /slash` contains adjacent "/".'],
      ['/trailingslash/', 'Pointer `/trailingslash/` end with "/".'],
      ['/lone~tilde', 'Pointer `/lone~tilde` contains "~" not part of a recognized escape sequence.'],
      ['/trailingtilde~', 'Pointer `/trailingtilde~` contains "~" not part of a recognized escape sequence.'],
    ])('refuses the pointer %j', (path, message) => {
      expect(patchError([{ op: 'replace', path, value: 'x' }])).toEqual({ status: 400, message });
    });

    it.each([
      ['add', '/tags/-'],
      ['replace', '/name/first'],
      ['replace', '/locations/1/2'],
      ['remove', '/locations'],
    ])('refuses %s at the wrong depth: %s', (op, path) => {
      expect(patchError([{ op, path, value: 'x' }])).toEqual({ status: 400, message: `Invalid JSON pointer for this resource: '${path}'` });
    });

    it('validates values against the image schema, with jsonschema’s message', () => {
      expect(patchError([{ op: 'replace', path: '/visibility', value: 'bogus' }])).toEqual({
        status: 400,
        message: "Provided object does not match schema 'image': 'bogus' is not one of ['community', 'public', 'private', 'shared']",
      });
      expect(patchError([{ op: 'add', path: '/foo', value: 5 }]).message).toBe("Provided object does not match schema 'image': 5 is not of type 'string'");
      expect(patchError([{ op: 'replace', path: '/container_format', value: 5 }]).message).toBe(
        "Provided object does not match schema 'image': 5 is not of type 'null', 'string'",
      );
      expect(patchError([{ op: 'replace', path: '/name', value: 'n'.repeat(256) }]).message).toMatch(/is too long$/);
      expect(patchError([{ op: 'replace', path: '/tags', value: ['ok', 't'.repeat(256)] }]).status).toBe(400);
      expect(patchError([{ op: 'replace', path: '/min_ram', value: null }]).message).toBe("Provided object does not match schema 'image': None is not of type 'integer'");
      expect(patchError([{ op: 'add', path: '/kernel_id', value: 'not-a-uuid' }]).message).toContain("'not-a-uuid' does not match");
      expect(patchError([{ op: 'replace', path: '/disk_format', value: 'vmdk2' }]).message).toContain("'vmdk2' is not one of [None, 'ami',");
    });

    it('validates every operation before applying any', () => {
      expect(patchError([{ op: 'replace', path: '/missing', value: 'x' }, { op: 'replace', path: '/status', value: 'active' }]).status).toBe(403);
    });
  });

  describe('read-only and reserved properties (403)', () => {
    it.each([...IMAGE_READONLY_PROPERTIES])('refuses to patch %s', (name) => {
      for (const op of ['add', 'replace', 'remove']) {
        expect(patchError([{ op, path: `/${name}`, value: 'x' }])).toEqual({ status: 403, message: `Attribute '${name}' is read-only.` });
      }
    });

    it.each(['location', 'deleted', 'deleted_at', 'os_glance_import_task', 'os_glance_', 'os_glance'])('refuses to patch %s', (name) => {
      expect(patchError([{ op: 'replace', path: `/${name}`, value: 'x' }])).toEqual({ status: 403, message: `Attribute '${name}' is reserved.` });
    });

    it('refuses stores', () => {
      expect(patchError([{ op: 'add', path: '/stores', value: 'x' }])).toEqual({ status: 403, message: "Attribute 'stores' is read-only." });
    });
  });

  describe('applying them', () => {
    it('refuses to remove a base attribute', () => {
      for (const name of ['name', 'visibility', 'tags', 'owner', 'min_ram', 'member']) {
        expect(patchError([{ op: 'remove', path: `/${name}` }])).toEqual({ status: 403, message: `Property ${name} may not be removed.` });
      }
    });

    it('refuses to replace or remove a missing property (409)', () => {
      expect(patchError([{ op: 'replace', path: '/nope', value: 'x' }])).toEqual({ status: 409, message: 'Property nope does not exist.' });
      expect(patchError([{ op: 'remove', path: '/nope' }])).toEqual({ status: 409, message: 'Property nope does not exist.' });
      expect(patchError([{ op: 'remove', path: '/foo' }, { op: 'remove', path: '/foo' }]).status).toBe(409);
    });

    it('lets only admins change the owner', () => {
      expect(patchError([{ op: 'replace', path: '/owner', value: 'p2' }])).toEqual({ status: 403, message: "Owner can't be updated by non admin." });
      expect(patchError([{ op: 'add', path: '/owner', value: 'p2' }]).status).toBe(403);
      expect(patch([{ op: 'replace', path: '/owner', value: 'p2' }], { isAdmin: true }).attributes).toEqual({ owner: 'p2' });
    });

    it('lets only admins make an image public; members of its project may make it community', () => {
      expect(patchError([{ op: 'replace', path: '/visibility', value: 'public' }])).toEqual({ status: 403, message: 'You are not authorized to complete publicize_image action.' });
      expect(patch([{ op: 'replace', path: '/visibility', value: 'public' }], { isAdmin: true }).attributes).toEqual({ visibility: 'public' });
      expect(patch([{ op: 'replace', path: '/visibility', value: 'community' }]).attributes).toEqual({ visibility: 'community' });
      expect(patchError([{ op: 'replace', path: '/visibility', value: 'community' }], { canModify: false }).message).toBe(
        'You are not authorized to complete communitize_image action.',
      );
      expect(patch([{ op: 'replace', path: '/visibility', value: 'private' }], {}, image({ visibility: 'public' })).attributes).toEqual({ visibility: 'private' });
    });

    it('enforces modify_image per operation', () => {
      expect(patchError([{ op: 'replace', path: '/name', value: 'x' }], { canModify: false })).toEqual({
        status: 403,
        message: 'You are not authorized to complete modify_image action.',
      });
      expect(patch([{ op: 'replace', path: '/name', value: 'x' }], { canModify: false, isAdmin: true }).attributes).toEqual({ name: 'x' });
    });

    it('changes formats only while the image is queued or importing', () => {
      expect(patchError([{ op: 'replace', path: '/disk_format', value: 'raw' }])).toEqual({ status: 403, message: 'Attribute disk_format can be only replaced for a queued image.' });
      expect(patchError([{ op: 'add', path: '/container_format', value: 'ovf' }]).message).toBe('Attribute container_format can be only replaced for a queued image.');
      expect(patch([{ op: 'replace', path: '/disk_format', value: 'raw' }], {}, image({ status: 'queued' })).attributes).toEqual({ disk_format: 'raw' });
      expect(patch([{ op: 'replace', path: '/disk_format', value: null }], {}, image({ status: 'importing' })).attributes).toEqual({ disk_format: null });
    });

    it('refuses negative and out-of-range min_disk and min_ram', () => {
      expect(patchError([{ op: 'replace', path: '/min_ram', value: -1 }])).toEqual({ status: 400, message: "Invalid value '-1' for parameter 'min_ram': Cannot be a negative value" });
      expect(patchError([{ op: 'replace', path: '/min_disk', value: 2 ** 31 }])).toEqual({ status: 400, message: "'min_disk' value out of range, must not exceed 2147483647." });
      expect(patch([{ op: 'replace', path: '/min_disk', value: 2 ** 31 - 1 }]).attributes).toEqual({ min_disk: 2147483647 });
    });

    it('enforces the tag quota on the list given', () => {
      const tags = Array.from({ length: 129 }, (_, index) => `t${index % 2}`);
      expect(patchError([{ op: 'replace', path: '/tags', value: tags }])).toEqual({
        status: 413,
        message: 'The limit has been exceeded on the number of allowed image tags. Attempted: 129, Maximum: 128',
      });
      expect(patch([{ op: 'replace', path: '/tags', value: tags }], { tagQuota: -1 }).attributes.tags).toEqual(['t0', 't1']);
    });

    it('enforces the property quota when a property is added, not counting os_glance_* ones', () => {
      // image() has 2 custom properties: 127 here, and one os_glance_* that does not count.
      const full = image(Object.fromEntries([...Array.from({ length: 125 }, (_, index) => [`p${index}`, 'v']), ['os_glance_import_task', 'x']]));
      expect(patch([{ op: 'add', path: '/extra', value: 'v' }], {}, full).properties).toHaveProperty('extra');
      const over = { ...full, another: 'v' };
      expect(patchError([{ op: 'add', path: '/extra', value: 'v' }], {}, over)).toEqual({
        status: 413,
        message: 'The limit has been exceeded on the number of allowed image properties. Attempted: 129, Maximum: 128',
      });
      const wayOver = { ...over, extra: 'v', more: 'v' };
      expect(patch([{ op: 'replace', path: '/extra', value: 'w' }], {}, wayOver).properties['extra']).toBe('w');
      expect(patch([{ op: 'remove', path: '/more' }], {}, wayOver).properties).not.toHaveProperty('more');
      expect(patch([{ op: 'add', path: '/extra', value: 'v' }], { propertyQuota: -1 }, over).modified).toBe(true);
    });

    it('refuses location changes while locations are hidden (show_multiple_locations off)', () => {
      expect(patchError([{ op: 'replace', path: '/locations', value: [] }])).toEqual({ status: 403, message: 'Cannot set locations to empty list.' });
      const location = { url: 'http://example.com/image.img', metadata: {} };
      expect(patchError([{ op: 'replace', path: '/locations', value: [location] }])).toEqual({
        status: 403,
        message: "It's not allowed to update locations if locations are invisible.",
      });
      expect(patchError([{ op: 'add', path: '/locations/-', value: location }]).message).toBe("It's not allowed to add locations if locations are invisible.");
      expect(patchError([{ op: 'remove', path: '/locations/0' }]).message).toBe('You are not authorized to complete delete_image_location action.');
      expect(patchError([{ op: 'remove', path: '/locations/0' }], { isAdmin: true }).message).toBe("It's not allowed to remove locations if locations are invisible.");
      expect(patchError([{ op: 'add', path: '/locations/-', value: { url: 'x' } }]).message).toBe(
        "Provided object does not match schema 'image': 'metadata' is a required property",
      );
    });
  });
});

describe('checkImageCreate', () => {
  const create = (body: unknown, options: { isAdmin?: boolean; isMember?: boolean; projectId?: string | null } = {}) =>
    checkImageCreate(body, { isAdmin: false, projectId: 'p1', ...options });
  const createError = (body: unknown, options: { isAdmin?: boolean; isMember?: boolean; projectId?: string | null } = {}) => errorOf(() => create(body, options));

  it('applies Glance’s defaults: shared, owned by the caller’s project', () => {
    expect(create({ name: 'cirros', tags: ['a', 'a'], os_distro: 'cirros' })).toEqual({
      name: 'cirros',
      visibility: 'shared',
      protected: false,
      os_hidden: false,
      owner: 'p1',
      disk_format: null,
      container_format: null,
      min_disk: 0,
      min_ram: 0,
      tags: ['a'],
      properties: { os_distro: 'cirros' },
    });
    expect(create({ id: '1bea47ed-f6a9-463b-b423-14b9cca9ad27' }).id).toBe('1bea47ed-f6a9-463b-b423-14b9cca9ad27');
  });

  it.each(['direct_url', 'self', 'file', 'schema', 'stores'])('refuses %s as read-only before anything else', (name) => {
    expect(createError({ [name]: 'x', visibility: 'bogus' })).toEqual({ status: 403, message: `Attribute '${name}' is read-only.` });
  });

  it.each(['status', 'checksum', 'size', 'virtual_size', 'created_at', 'updated_at', 'os_hash_algo', 'os_hash_value'])('refuses the read-only %s', (name) => {
    const value = name.endsWith('size') ? 1 : name === 'status' ? 'active' : 'x';
    expect(createError({ [name]: value })).toEqual({ status: 403, message: `Attribute '${name}' is read-only.` });
  });

  it('refuses reserved properties', () => {
    expect(createError({ deleted: 'x' })).toEqual({ status: 403, message: "Attribute 'deleted' is reserved." });
    expect(createError({ os_glance_foo: 'x' })).toEqual({ status: 403, message: "Attribute 'os_glance_foo' is reserved." });
    expect(createError({ locations: [] })).toEqual({ status: 403, message: "Attribute 'locations' is reserved." });
  });

  it('refuses property names over 255 characters, and non-string values', () => {
    expect(createError({ ['f'.repeat(256)]: 'bar' })).toEqual({ status: 400, message: 'Custom property should not be greater than 255 characters.' });
    expect(createError({ foo: 1 })).toEqual({ status: 400, message: "Provided object does not match schema 'image': 1 is not of type 'string'" });
    expect(createError({ id: 'abc' }).message).toContain("'abc' does not match");
  });

  it('lets only admins create images for another project or public ones', () => {
    expect(createError({ owner: 'p2' })).toEqual({ status: 403, message: "You are not permitted to create images owned by 'p2'" });
    expect(create({ owner: 'p2' }, { isAdmin: true }).owner).toBe('p2');
    expect(createError({ visibility: 'public' })).toEqual({ status: 403, message: 'You are not authorized to complete publicize_image action.' });
    expect(create({ visibility: 'community' }).visibility).toBe('community');
    expect(createError({}, { isMember: false })).toEqual({ status: 403, message: 'You are not authorized to complete add_image action.' });
  });

  it('enforces quotas and the domain’s checks', () => {
    expect(createError({ tags: Array.from({ length: 129 }, (_, index) => `t${index}`) }).status).toBe(413);
    expect(createError(Object.fromEntries(Array.from({ length: 129 }, (_, index) => [`p${index}`, 'v']))).message).toBe(
      'The limit has been exceeded on the number of allowed image properties. Attempted: 129, Maximum: 128',
    );
    expect(createError({ min_disk: -5 })).toEqual({ status: 400, message: "Invalid value '-5' for parameter 'min_disk': Cannot be a negative value" });
    expect(createError({ min_ram: 2 ** 31 }).message).toBe("'min_ram' value out of range, must not exceed 2147483647.");
  });

  it('refuses a body that is not an object', () => {
    expect(createError(undefined)).toEqual({ status: 400, message: 'Body expected in request.' });
    expect(createError([])).toEqual({ status: 400, message: 'Unexpected body type. Expected list/dict.' });
  });
});

describe('names that are also Object.prototype members', () => {
  it('are neither media types nor special paths', () => {
    expect(errorOf(() => patchDraftFor('constructor')).status).toBe(415);
    expect(patchError([{ op: 'replace', path: '/constructor', value: 'x' }])).toEqual({ status: 409, message: 'Property constructor does not exist.' });
    expect(patch([{ op: 'add', path: '/toString', value: 'x' }]).properties['toString']).toBe('x');
  });
});
