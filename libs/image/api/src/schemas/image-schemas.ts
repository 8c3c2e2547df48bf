/**
 * The JSON schemas Glance serves at `GET /v2/schemas/{image,images,member,members}`.
 *
 * Matched against Glance 2024.1 "Caracal" (branch unmaintained/2024.1): `glance/api/v2/images.py`
 * (get_base_properties, _get_base_links, get_schema, get_collection_schema), `glance/api/v2/image_members.py`
 * (_MEMBER_SCHEMA, get_schema, get_collection_schema), `glance/schema.py` (Schema.raw/minimal,
 * PermissiveSchema.raw, CollectionSchema.raw/minimal) and `glance/api/v2/schemas.py` (which rendering each route
 * uses). The property data is identical from Zed (2022.2) to master (2026.x); only the option of a `required`
 * list in schema-image.json (master) is newer, and it is not used by default.
 *
 * Every function returns a fresh object, in the key order Glance's JSON has (Python dicts keep insertion order
 * and Glance does not sort keys), so callers may serialise or mutate it freely.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** The Glance release whose behaviour these schemas and rules mirror. */
export const GLANCE_RELEASE_MATCHED = '2024.1 (Caracal)';

/** `glance/api/v2/images.py` and `image_members.py`: the pattern an image id must match. */
export const UUID_PATTERN = '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$';

/** `glance/common/config.py` image_format_opts: `[image_format] disk_formats` default. */
export const DEFAULT_DISK_FORMATS: readonly string[] = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'];

/** `glance/common/config.py` image_format_opts: `[image_format] container_formats` default. */
export const DEFAULT_CONTAINER_FORMATS: readonly string[] = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'];

/** The `status` enum of get_base_properties (also `glance.domain.Image.valid_state_targets`' keys). */
export const IMAGE_STATUSES = ['queued', 'saving', 'active', 'killed', 'deleted', 'uploading', 'importing', 'pending_delete', 'deactivated'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/** The `visibility` enum of get_base_properties (also the `glance.domain.Image.visibility` setter). */
export const IMAGE_VISIBILITIES = ['community', 'public', 'private', 'shared'] as const;
export type ImageVisibility = (typeof IMAGE_VISIBILITIES)[number];

/** The member `status` enum of `_MEMBER_SCHEMA` (also the `glance.domain.ImageMembership.status` setter). */
export const MEMBER_STATUSES = ['pending', 'accepted', 'rejected'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/**
 * `glance/common/config.py` `hashing_algorithm` default. `os_hash_algo` has no enum in the image schema: it is
 * read-only and holds whatever algorithm hashed the data (any hashlib name the operator configured).
 */
export const DEFAULT_HASHING_ALGORITHM = 'sha512';

/** Where each schema is served, and the hrefs Glance puts in image/member views (`schema`). */
export const SCHEMA_PATHS = {
  image: '/v2/schemas/image',
  images: '/v2/schemas/images',
  member: '/v2/schemas/member',
  members: '/v2/schemas/members',
} as const;

/**
 * `etc/schema-image.json` as Glance ships it (2024.1). Glance reads this file from its config directory
 * (`load_custom_properties`); devstack and the distribution packages install it, so a stock cloud serves these
 * properties, each marked `"is_base": false` (get_schema). python-glanceclient reads `is_base` to tell custom
 * properties from base ones. Without the file, Glance serves only the base properties.
 */
export function glanceSchemaImageJson(): Record<string, JsonObject> {
  return {
    kernel_id: {
      type: ['null', 'string'],
      pattern: UUID_PATTERN,
      description: 'ID of image stored in Glance that should be used as the kernel when booting an AMI-style image.',
    },
    ramdisk_id: {
      type: ['null', 'string'],
      pattern: UUID_PATTERN,
      description: 'ID of image stored in Glance that should be used as the ramdisk when booting an AMI-style image.',
    },
    instance_uuid: {
      type: 'string',
      description: 'Metadata which can be used to record which instance this image is associated with. (Informational only, does not create an instance snapshot.)',
    },
    architecture: {
      description: 'Operating system architecture as specified in https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html',
      type: 'string',
    },
    os_distro: {
      description: 'Common name of operating system distribution as specified in https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html',
      type: 'string',
    },
    os_version: {
      description: 'Operating system version as specified by the distributor.',
      type: 'string',
    },
    description: {
      description: 'A human-readable string describing this image.',
      type: 'string',
    },
    cinder_encryption_key_id: {
      description:
        'Identifier in the OpenStack Key Management Service for the encryption key for the Block Storage Service to use when mounting a volume created from this image',
      type: 'string',
    },
    cinder_encryption_key_deletion_policy: {
      description:
        "States the condition under which the Image Service will delete the object associated with the 'cinder_encryption_key_id' image property.  If this property is missing, the Image Service will take no action",
      type: 'string',
      enum: ['on_image_deletion', 'do_not_delete'],
    },
  };
}

export interface ImageSchemaOptions {
  /** `[image_format] disk_formats`; Glance's default when omitted. */
  diskFormats?: readonly string[];
  /** `[image_format] container_formats`; Glance's default when omitted. */
  containerFormats?: readonly string[];
  /**
   * The custom properties of schema-image.json: Glance's shipped file when omitted, none when `null`.
   * Each gets `"is_base": false` appended, as Glance's get_schema does.
   */
  customProperties?: Record<string, JsonObject> | null;
}

/** `glance/api/v2/images.py` get_base_properties(), with the format enums built from the given (or default) lists. */
export function imageBaseProperties(options: ImageSchemaOptions = {}): Record<string, JsonObject> {
  const containerFormats = options.containerFormats ?? DEFAULT_CONTAINER_FORMATS;
  const diskFormats = options.diskFormats ?? DEFAULT_DISK_FORMATS;
  return {
    id: {
      type: 'string',
      description: 'An identifier for the image',
      pattern: UUID_PATTERN,
    },
    name: {
      type: ['null', 'string'],
      description: 'Descriptive name for the image',
      maxLength: 255,
    },
    status: {
      type: 'string',
      readOnly: true,
      description: 'Status of the image',
      enum: [...IMAGE_STATUSES],
    },
    visibility: {
      type: 'string',
      description: 'Scope of image accessibility',
      enum: [...IMAGE_VISIBILITIES],
    },
    protected: {
      type: 'boolean',
      description: 'If true, image will not be deletable.',
    },
    os_hidden: {
      type: 'boolean',
      description: 'If true, image will not appear in default image list response.',
    },
    checksum: {
      type: ['null', 'string'],
      readOnly: true,
      description: 'md5 hash of image contents.',
      maxLength: 32,
    },
    os_hash_algo: {
      type: ['null', 'string'],
      readOnly: true,
      description: 'Algorithm to calculate the os_hash_value',
      maxLength: 64,
    },
    os_hash_value: {
      type: ['null', 'string'],
      readOnly: true,
      description: 'Hexdigest of the image contents using the algorithm specified by the os_hash_algo',
      maxLength: 128,
    },
    owner: {
      type: ['null', 'string'],
      description: 'Owner of the image',
      maxLength: 255,
    },
    size: {
      type: ['null', 'integer'],
      readOnly: true,
      description: 'Size of image file in bytes',
    },
    virtual_size: {
      type: ['null', 'integer'],
      readOnly: true,
      description: 'Virtual size of image in bytes',
    },
    container_format: {
      type: ['null', 'string'],
      description: 'Format of the container',
      enum: [null, ...containerFormats],
    },
    disk_format: {
      type: ['null', 'string'],
      description: 'Format of the disk',
      enum: [null, ...diskFormats],
    },
    created_at: {
      type: 'string',
      readOnly: true,
      description: 'Date and time of image registration',
    },
    updated_at: {
      type: 'string',
      readOnly: true,
      description: 'Date and time of the last image modification',
    },
    tags: {
      type: 'array',
      description: 'List of strings related to the image',
      items: {
        type: 'string',
        maxLength: 255,
      },
    },
    direct_url: {
      type: 'string',
      readOnly: true,
      description: 'URL to access the image file kept in external store',
    },
    min_ram: {
      type: 'integer',
      description: 'Amount of ram (in MB) required to boot image.',
    },
    min_disk: {
      type: 'integer',
      description: 'Amount of disk space (in GB) required to boot image.',
    },
    self: {
      type: 'string',
      readOnly: true,
      description: 'An image self url',
    },
    file: {
      type: 'string',
      readOnly: true,
      description: 'An image file url',
    },
    stores: {
      type: 'string',
      readOnly: true,
      description: 'Store in which image data resides.  Only present when the operator has enabled multiple stores.  May be a comma-separated list of store identifiers.',
    },
    schema: {
      type: 'string',
      readOnly: true,
      description: 'An image schema url',
    },
    locations: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          url: {
            type: 'string',
            maxLength: 255,
          },
          metadata: {
            type: 'object',
          },
          validation_data: {
            description:
              "Values to be used to populate the corresponding image properties. If the image status is not 'queued', values must exactly match those already contained in the image properties.",
            type: 'object',
            writeOnly: true,
            additionalProperties: false,
            properties: {
              checksum: {
                type: 'string',
                minLength: 32,
                maxLength: 32,
              },
              os_hash_algo: {
                type: 'string',
                maxLength: 64,
              },
              os_hash_value: {
                type: 'string',
                maxLength: 128,
              },
            },
            required: ['os_hash_algo', 'os_hash_value'],
          },
        },
        required: ['url', 'metadata'],
      },
      description: 'A set of URLs to access the image file kept in external store',
    },
  };
}

/** `glance/api/v2/images.py` _get_base_links(): the link templates of the image schema. */
export function imageLinks(): JsonObject[] {
  return [
    { rel: 'self', href: '{self}' },
    { rel: 'enclosure', href: '{file}' },
    { rel: 'describedby', href: '{schema}' },
  ];
}

/**
 * The properties of the served image schema: the base ones, then the custom ones (schema-image.json order), each
 * custom one with `is_base: false` added (get_schema + Schema.merge_properties). A custom property may not
 * redefine a base one differently: Glance refuses to start (SchemaLoadError); here it throws.
 */
export function imageSchemaProperties(options: ImageSchemaOptions = {}): Record<string, JsonObject> {
  const properties = imageBaseProperties(options);
  const custom = options.customProperties === undefined ? glanceSchemaImageJson() : options.customProperties;
  for (const [name, definition] of Object.entries(custom ?? {})) {
    const merged: JsonObject = { ...structuredClone(definition), is_base: false };
    const base = properties[name];
    if (base !== undefined && JSON.stringify(base) !== JSON.stringify(merged)) {
      throw new Error(`custom properties (${name}) conflict with base properties`);
    }
    properties[name] = merged;
  }
  return properties;
}

/**
 * `GET /v2/schemas/image`: Glance's PermissiveSchema('image', …).raw(), `additionalProperties: {type: string}`
 * (custom property values are strings) and the `self`/`enclosure`/`describedby` links.
 */
export function imageSchema(options: ImageSchemaOptions = {}): JsonObject {
  return {
    name: 'image',
    properties: imageSchemaProperties(options),
    additionalProperties: { type: 'string' },
    links: imageLinks(),
  };
}

/** `GET /v2/schemas/images`: CollectionSchema('images', image schema).raw(). */
export function imagesSchema(options: ImageSchemaOptions = {}): JsonObject {
  return {
    name: 'images',
    properties: {
      images: {
        type: 'array',
        items: imageSchema(options),
      },
      first: { type: 'string' },
      next: { type: 'string' },
      schema: { type: 'string' },
    },
    links: [
      { rel: 'first', href: '{first}' },
      { rel: 'next', href: '{next}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  };
}

/** `glance/api/v2/image_members.py` _MEMBER_SCHEMA. */
export function memberProperties(): Record<string, JsonObject> {
  return {
    member_id: {
      type: 'string',
      description: 'An identifier for the image member (tenantId)',
    },
    image_id: {
      type: 'string',
      description: 'An identifier for the image',
      pattern: UUID_PATTERN,
    },
    created_at: {
      type: 'string',
      description: 'Date and time of image member creation',
    },
    updated_at: {
      type: 'string',
      description: 'Date and time of last modification of image member',
    },
    status: {
      type: 'string',
      description: 'The status of this image member',
      enum: [...MEMBER_STATUSES],
    },
    schema: {
      readOnly: true,
      type: 'string',
    },
  };
}

/** `GET /v2/schemas/member`: Schema('member', …).minimal(): only `name` and `properties` (no additionalProperties, no links). */
export function memberSchema(): JsonObject {
  return {
    name: 'member',
    properties: memberProperties(),
  };
}

/** `GET /v2/schemas/members`: CollectionSchema('members', member schema).minimal(): no `first`/`next`, one link. */
export function membersSchema(): JsonObject {
  return {
    name: 'members',
    properties: {
      members: {
        type: 'array',
        items: memberSchema(),
      },
      schema: { type: 'string' },
    },
    links: [{ rel: 'describedby', href: '{schema}' }],
  };
}
