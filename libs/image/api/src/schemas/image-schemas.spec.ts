import { createHash } from 'node:crypto';
import {
  DEFAULT_CONTAINER_FORMATS,
  DEFAULT_DISK_FORMATS,
  imageBaseProperties,
  imageSchema,
  imagesSchema,
  type JsonObject,
  memberSchema,
  membersSchema,
  UUID_PATTERN,
} from './image-schemas';

const sha256 = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');
const props = (schema: JsonObject) => schema['properties'] as Record<string, JsonObject>;

describe('Glance 2024.1 schemas', () => {
  // Digests of Glance's own output: glance/api/v2/schemas.py Controller.{image,images,member,members} with the
  // default config and etc/schema-image.json, serialised as compact JSON in Glance's key order. Any change to a
  // name, type, enum, description or key order changes them.
  it.each([
    ['image', imageSchema, '3f40d504cf924316a810ff5d8b70445195be3c0144761729625008c22cec7f5a'],
    ['images', imagesSchema, '847d9104cc50ff2df9aeca1a0dd7d2ac69c872b9d16d7124c11b46b4597e5ac4'],
    ['member', memberSchema, 'f1504b5f34485d677960f44b229bf0f4e30cf0fdade9cb408861967d4fa0d67a'],
    ['members', membersSchema, '86b4f8d15079eac2b6125ffd1f7dee0b3d5fa085f248ebb3e11b6a0526f33006'],
  ])('GET /v2/schemas/%s is byte for byte what Glance serves', (_name, build, digest) => {
    expect(sha256(build())).toBe(digest);
  });

  describe('image', () => {
    const schema = imageSchema();

    it('is the permissive schema: custom property values are strings, with the three link templates', () => {
      expect(Object.keys(schema)).toEqual(['name', 'properties', 'additionalProperties', 'links']);
      expect(schema['name']).toBe('image');
      expect(schema['additionalProperties']).toEqual({ type: 'string' });
      expect(schema['links']).toEqual([
        { rel: 'self', href: '{self}' },
        { rel: 'enclosure', href: '{file}' },
        { rel: 'describedby', href: '{schema}' },
      ]);
    });

    it('lists the base properties, then the custom ones of schema-image.json', () => {
      expect(Object.keys(props(schema))).toEqual([
        'id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'checksum', 'os_hash_algo', 'os_hash_value', 'owner', 'size',
        'virtual_size', 'container_format', 'disk_format', 'created_at', 'updated_at', 'tags', 'direct_url', 'min_ram', 'min_disk',
        'self', 'file', 'stores', 'schema', 'locations',
        'kernel_id', 'ramdisk_id', 'instance_uuid', 'architecture', 'os_distro', 'os_version', 'description', 'cinder_encryption_key_id',
        'cinder_encryption_key_deletion_policy',
      ]);
    });

    it('marks exactly the server-managed properties readOnly', () => {
      const readOnly = Object.entries(props(schema)).filter(([, definition]) => definition['readOnly'] === true).map(([name]) => name);
      expect(readOnly).toEqual(['status', 'checksum', 'os_hash_algo', 'os_hash_value', 'size', 'virtual_size', 'created_at', 'updated_at', 'direct_url', 'self', 'file', 'stores', 'schema']);
    });

    it('has Glance’s enums, built from the default disk and container formats', () => {
      const p = props(schema);
      expect(p['disk_format']?.['enum']).toEqual([null, 'ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop']);
      expect(p['container_format']?.['enum']).toEqual([null, 'ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed']);
      expect(p['visibility']?.['enum']).toEqual(['community', 'public', 'private', 'shared']);
      expect(p['status']?.['enum']).toEqual(['queued', 'saving', 'active', 'killed', 'deleted', 'uploading', 'importing', 'pending_delete', 'deactivated']);
      expect(p['os_hash_algo']).toEqual({ type: ['null', 'string'], readOnly: true, description: 'Algorithm to calculate the os_hash_value', maxLength: 64 });
    });

    it('has the types, lengths and patterns clients validate against', () => {
      const p = props(schema);
      expect(p['id']).toEqual({ type: 'string', description: 'An identifier for the image', pattern: UUID_PATTERN });
      expect(p['name']).toMatchObject({ type: ['null', 'string'], maxLength: 255 });
      expect(p['owner']).toMatchObject({ type: ['null', 'string'], maxLength: 255 });
      expect(p['checksum']).toMatchObject({ maxLength: 32 });
      expect(p['os_hash_value']).toMatchObject({ maxLength: 128 });
      expect(p['size']).toMatchObject({ type: ['null', 'integer'] });
      expect(p['min_ram']).toMatchObject({ type: 'integer' });
      expect(p['tags']).toMatchObject({ type: 'array', items: { type: 'string', maxLength: 255 } });
      expect(p['protected']).toMatchObject({ type: 'boolean' });
      expect(UUID_PATTERN).toBe('^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$');
    });

    it('marks the custom properties is_base: false, and only them', () => {
      const p = props(schema);
      expect(p['kernel_id']).toEqual({
        type: ['null', 'string'],
        pattern: UUID_PATTERN,
        description: 'ID of image stored in Glance that should be used as the kernel when booting an AMI-style image.',
        is_base: false,
      });
      expect(p['cinder_encryption_key_deletion_policy']?.['enum']).toEqual(['on_image_deletion', 'do_not_delete']);
      expect(Object.keys(p).filter((name) => p[name]?.['is_base'] === false)).toHaveLength(9);
      expect(p['name']).not.toHaveProperty('is_base');
    });

    it('follows the configured formats and custom properties', () => {
      const custom = imageSchema({ diskFormats: ['raw', 'qcow2'], containerFormats: ['bare'], customProperties: { hw_disk_bus: { type: 'string' } } });
      expect(props(custom)['disk_format']?.['enum']).toEqual([null, 'raw', 'qcow2']);
      expect(props(custom)['container_format']?.['enum']).toEqual([null, 'bare']);
      expect(props(custom)['hw_disk_bus']).toEqual({ type: 'string', is_base: false });
      expect(Object.keys(props(imageSchema({ customProperties: null })))).toEqual(Object.keys(imageBaseProperties()));
      expect(DEFAULT_DISK_FORMATS).toHaveLength(11);
      expect(DEFAULT_CONTAINER_FORMATS).toContain('compressed');
    });

    it('refuses a custom property that redefines a base one, as Glance refuses to start', () => {
      expect(() => imageSchema({ customProperties: { name: { type: 'string' } } })).toThrow('custom properties (name) conflict with base properties');
    });

    it('is a fresh object on every call', () => {
      const first = imageSchema();
      props(first)['name'] = { type: 'integer' };
      expect(props(imageSchema())['name']).toMatchObject({ type: ['null', 'string'] });
    });
  });

  describe('images', () => {
    it('is the collection schema: the image schema as items, first/next/schema and their links', () => {
      const schema = imagesSchema();
      expect(Object.keys(schema)).toEqual(['name', 'properties', 'links']);
      expect(props(schema)).toEqual({
        images: { type: 'array', items: imageSchema() },
        first: { type: 'string' },
        next: { type: 'string' },
        schema: { type: 'string' },
      });
      expect(schema['links']).toEqual([
        { rel: 'first', href: '{first}' },
        { rel: 'next', href: '{next}' },
        { rel: 'describedby', href: '{schema}' },
      ]);
    });
  });

  describe('member and members', () => {
    it('member is the minimal schema: name and properties only', () => {
      const schema = memberSchema();
      expect(Object.keys(schema)).toEqual(['name', 'properties']);
      expect(Object.keys(props(schema))).toEqual(['member_id', 'image_id', 'created_at', 'updated_at', 'status', 'schema']);
      expect(props(schema)['status']).toEqual({ type: 'string', description: 'The status of this image member', enum: ['pending', 'accepted', 'rejected'] });
      expect(props(schema)['schema']).toEqual({ readOnly: true, type: 'string' });
      expect(props(schema)['image_id']?.['pattern']).toBe(UUID_PATTERN);
    });

    it('members has no first/next, and only the describedby link', () => {
      const schema = membersSchema();
      expect(props(schema)).toEqual({ members: { type: 'array', items: memberSchema() }, schema: { type: 'string' } });
      expect(schema['links']).toEqual([{ rel: 'describedby', href: '{schema}' }]);
    });
  });
});
