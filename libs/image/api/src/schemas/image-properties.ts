/**
 * The rules Glance's images API applies to image properties on create (`POST /v2/images`) and update
 * (`PATCH /v2/images/{id}`, a JSON-patch), as data and as two pure functions, `checkImageCreate` and
 * `applyImagePatch`. They throw `GlanceError`s, plain `{ status, message }` objects the caller renders.
 *
 * Matched against Glance 2024.1 "Caracal" (unmaintained/2024.1, unchanged in these respects from Zed to 2026.1);
 * each rule names the Glance code it mirrors. Where Glance answers 500 or does something odd, the rule here says
 * so and what it does instead.
 */
import { imageBaseProperties, imageSchema, type ImageVisibility, type JsonObject } from './image-schemas';
import { pyStr, validateAgainstSchema } from './schema-validation';

// ---------------------------------------------------------------------------------------------------------------
// Errors

export type GlanceErrorStatus = 400 | 403 | 404 | 409 | 413 | 415;

/** An error as Glance raises it: its status, its text, and any headers Glance adds (`Accept-Patch` on a 415). */
export interface GlanceError {
  readonly status: GlanceErrorStatus;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export function isGlanceError(value: unknown): value is GlanceError {
  return typeof value === 'object' && value !== null && typeof (value as GlanceError).status === 'number' && typeof (value as GlanceError).message === 'string';
}

function glanceError(status: GlanceErrorStatus, message: string): GlanceError {
  return { status, message };
}

/** Glance's texts, by the code that raises them. */
export const IMAGE_MESSAGES = {
  // glance/api/v2/images.py RequestDeserializer._get_request_body, glance/common/wsgi.py JSONRequestDeserializer.from_json
  bodyExpected: 'Body expected in request.',
  unexpectedBodyType: 'Unexpected body type. Expected list/dict.',
  malformedJson: 'Malformed JSON in request body.',
  // RequestDeserializer.update
  patchBodyNotList: 'Request body must be a JSON array of operation objects.',
  operationNotObject: 'Operations must be JSON objects.',
  // RequestDeserializer._get_change_operation_d10 / _d4, _get_change_path_d10, _get_change_value
  missingOp: 'Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.',
  invalidOp: (op: unknown) => `Invalid operation: \`${pyStr(op)}\`. It must be one of the following: add, remove, replace.`,
  draft4SeveralOps: 'Operation objects must contain only one member named "add", "remove", or "replace".',
  draft4NoOp: 'Operation objects must contain exactly one member named "add", "remove", or "replace".',
  missingPath: "Unable to find 'path' in JSON Schema change",
  missingValue: (op: string) => `Operation "${op}" requires a member named "value".`,
  // RequestDeserializer._validate_json_pointer, _validate_path
  pointerNoSlash: (pointer: string) => `Pointer \`${pointer}\` does not start with "/".`,
  pointerAdjacentSlashes: (pointer: string) => `Pointer \`${pointer}\` contains adjacent "/".`,
  pointerTrailingSlash: (pointer: string) => `Pointer \`${pointer}\` end with "/".`,
  pointerNoToken: (pointer: string) => `Pointer \`${pointer}\` does not contains valid token.`,
  pointerBadTilde: (pointer: string) => `Pointer \`${pointer}\` contains "~" not part of a recognized escape sequence.`,
  invalidPointer: (path: readonly string[]) => `Invalid JSON pointer for this resource: '/${path.join('/')}'`,
  // RequestDeserializer._validate_change / _check_allowed / create; glance.common.exception ReadonlyProperty, ReservedProperty
  readOnly: (name: string) => `Attribute '${name}' is read-only.`,
  reserved: (name: string) => `Attribute '${name}' is reserved.`,
  customKeyTooLong: 'Custom property should not be greater than 255 characters.',
  // glance/schema.py Schema.validate → glance.common.exception.InvalidObject
  schemaMismatch: (reason: string) => `Provided object does not match schema 'image': ${reason}`,
  // ImagesController._do_replace / _do_add / _do_remove
  propertyMissing: (name: string) => `Property ${name} does not exist.`,
  propertyPresent: (name: string) => `Property ${name} already present.`,
  propertyNotRemovable: (name: string) => `Property ${name} may not be removed.`,
  ownerNonAdmin: "Owner can't be updated by non admin.",
  locationsEmpty: 'Cannot set locations to empty list.',
  // ImagesController._do_replace_locations / _do_add_locations / _do_remove_locations (show_multiple_locations=False)
  locationsInvisible: (verb: 'update' | 'add' | 'remove') => `It's not allowed to ${verb} locations if locations are invisible.`,
  // glance/api/policy.py Enforcer.enforce → exception.Forbidden(action=…)
  policy: (action: string) => `You are not authorized to complete ${action} action.`,
  // glance/api/v2/policy.py ImageAPIPolicy.add_image
  createForOtherOwner: (owner: unknown) => `You are not permitted to create images owned by '${pyStr(owner)}'`,
  // glance/domain/__init__.py Image.container_format / disk_format / min_disk / min_ram setters
  formatOnlyWhenQueued: (name: 'disk_format' | 'container_format') => `Attribute ${name} can be only replaced for a queued image.`,
  negative: (name: 'min_disk' | 'min_ram', value: unknown) => `Invalid value '${pyStr(value)}' for parameter '${name}': Cannot be a negative value`,
  // glance/db/sqlalchemy/api.py _validate_db_int
  intOutOfRange: (name: 'min_disk' | 'min_ram') => `'${name}' value out of range, must not exceed 2147483647.`,
  // glance/common/exception.py ImagePropertyLimitExceeded / ImageTagLimitExceeded (via glance/quota)
  propertyQuota: (attempted: number, maximum: number) =>
    `The limit has been exceeded on the number of allowed image properties. Attempted: ${attempted}, Maximum: ${maximum}`,
  tagQuota: (attempted: number, maximum: number) => `The limit has been exceeded on the number of allowed image tags. Attempted: ${attempted}, Maximum: ${maximum}`,
  // glance/db/sqlalchemy/api.py image_create (DBDuplicateEntry); glance/db/__init__.py ImageRepo.get
  duplicateId: (id: string) => `Image ID ${id} already exists!`,
  imageNotFound: (id: string) => `No image found with ID ${id}`,
  // webob.exc.HTTPUnsupportedMediaType's template (Glance 2024.1 gives no detail; master adds one)
  unsupportedMediaType: (contentType: string) => `The request media type ${contentType} is not supported by this server.`,
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Configuration defaults (glance/common/config.py, 2024.1)

export const GLANCE_CONFIG_DEFAULTS = {
  /** Custom properties an image may have; os_glance_* ones do not count; negative = unlimited. */
  image_property_quota: 128,
  image_tag_quota: 128,
  image_member_quota: 128,
  image_location_quota: 10,
  /** `limit` when a list request gives none; `limit` is then capped at api_limit_max. */
  limit_param_default: 25,
  api_limit_max: 1000,
  hashing_algorithm: 'sha512',
  /** False: `locations` are neither shown nor patchable, `direct_url` is not shown. */
  show_multiple_locations: false,
  show_image_direct_url: false,
  /** 1 TiB. */
  image_size_cap: 1099511627776,
  /** Deprecated (removed in 2025.1): the image schema is always the permissive one. */
  allow_additional_image_properties: true,
} as const;

/** glance/db/sqlalchemy/api.py _validate_db_int: min_disk and min_ram are 4-byte ints. */
export const MAX_DB_INT = 2 ** 31 - 1;

/** images.py RequestDeserializer.create (LP #1737952): a custom property's name is 255 characters at most. */
export const MAX_PROPERTY_KEY_LENGTH = 255;

// ---------------------------------------------------------------------------------------------------------------
// Property sets

/** glance/api/common.py GLANCE_RESERVED_NS: no property whose name starts with this may be set, changed or removed. */
export const RESERVED_NAMESPACE = 'os_glance';

/** images.py RequestDeserializer._base_properties: the create body's keys that are image attributes, not custom properties. */
export const IMAGE_BASE_PROPERTIES = [
  'checksum',
  'created_at',
  'container_format',
  'disk_format',
  'id',
  'min_disk',
  'min_ram',
  'name',
  'size',
  'virtual_size',
  'status',
  'tags',
  'owner',
  'updated_at',
  'visibility',
  'protected',
  'os_hidden',
] as const;

/** images.py RequestDeserializer._disallowed_properties: refused in a create body (403 read-only), checked first. */
export const IMAGE_DISALLOWED_PROPERTIES = ['direct_url', 'self', 'file', 'schema', 'stores'] as const;

/** images.py RequestDeserializer._readonly_properties: refused as a PATCH path (403 read-only). */
export const IMAGE_READONLY_PROPERTIES = [
  'created_at',
  'updated_at',
  'status',
  'checksum',
  'size',
  'virtual_size',
  'direct_url',
  'self',
  'file',
  'schema',
  'id',
  'os_hash_algo',
  'os_hash_value',
] as const;

/** images.py RequestDeserializer._reserved_properties: refused as custom properties and PATCH paths (403 reserved). */
export const IMAGE_RESERVED_PROPERTIES = ['location', 'deleted', 'deleted_at'] as const;

/** glance/domain/__init__.py ImageFactory._readonly_properties: base attributes a create may not set (403 read-only). */
export const CREATE_READONLY_ATTRIBUTES = ['created_at', 'updated_at', 'status', 'checksum', 'os_hash_algo', 'os_hash_value', 'size', 'virtual_size'] as const;

/** glance/domain/__init__.py ImageFactory._reserved_properties: custom properties a create may not set (403 reserved). */
export const CREATE_RESERVED_PROPERTIES = ['owner', 'locations', 'deleted', 'deleted_at', 'direct_url', 'self', 'file', 'schema'] as const;

/** images.py ResponseSerializer._hidden_properties: custom properties never shown. */
export const HIDDEN_PROPERTIES = ['os_glance_stage_host'] as const;

/** The keys of an image view that are not custom properties (ResponseSerializer._format_image). */
export const IMAGE_VIEW_BASE_KEYS = [
  'id',
  'name',
  'status',
  'visibility',
  'protected',
  'os_hidden',
  'owner',
  'disk_format',
  'container_format',
  'size',
  'virtual_size',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'min_disk',
  'min_ram',
  'tags',
  'created_at',
  'updated_at',
  'locations',
  'direct_url',
  'stores',
  'self',
  'file',
  'schema',
] as const;

/** The base attributes a PATCH may set (add or replace) and never remove. */
export const MUTABLE_IMAGE_ATTRIBUTES = ['name', 'visibility', 'protected', 'os_hidden', 'owner', 'disk_format', 'container_format', 'min_disk', 'min_ram', 'tags'] as const;
export type MutableImageAttribute = (typeof MUTABLE_IMAGE_ATTRIBUTES)[number];

/**
 * Attributes of Glance's domain image (glance/domain/proxy.py Image) that are not in the view. The controller tests
 * `hasattr(image, name)`, so `remove` of one is "may not be removed" (403), as Glance answers. Glance also lets
 * add/replace set them (image_id breaks the save, member is silently dropped); here add/replace is 403 read-only.
 */
export const INTERNAL_IMAGE_ATTRIBUTES = ['image_id', 'extra_properties', 'member'] as const;

/**
 * Policy defaults (glance/policies/image.py, base.py; enforce_new_defaults and enforce_scope are on since 2023.1).
 * Target `project_id`/`owner` = the image's owner, `member_id` = the member's project.
 */
export const IMAGE_POLICY_DEFAULTS = {
  add_image: 'rule:context_is_admin or (role:member and project_id:%(project_id)s and project_id:%(owner)s)',
  modify_image: 'rule:context_is_admin or (role:member and project_id:%(project_id)s)',
  /** Making an image public is admin-only. */
  publicize_image: 'rule:context_is_admin',
  /** Making it community is for its project's members. */
  communitize_image: 'rule:context_is_admin or (role:member and project_id:%(project_id)s)',
  set_image_location: 'rule:context_is_admin or (role:member and project_id:%(project_id)s)',
  delete_image_location: 'rule:context_is_admin',
  context_is_admin: 'role:admin',
} as const;

// ---------------------------------------------------------------------------------------------------------------
// JSON patch

/** images.py RequestDeserializer.update: the PATCH media types and the JSON-schema draft of their operation format. */
export const PATCH_MEDIA_TYPE_DRAFTS = {
  'application/openstack-images-v2.0-json-patch': 4,
  'application/openstack-images-v2.1-json-patch': 10,
} as const;
export type PatchMediaType = keyof typeof PATCH_MEDIA_TYPE_DRAFTS;
export type PatchDraft = (typeof PATCH_MEDIA_TYPE_DRAFTS)[PatchMediaType];

export const PATCH_MEDIA_TYPES: PatchMediaType[] = ['application/openstack-images-v2.0-json-patch', 'application/openstack-images-v2.1-json-patch'];

/** The `Accept-Patch` header Glance sends with its 415: the media types, sorted, joined by ", ". */
export const ACCEPT_PATCH = [...PATCH_MEDIA_TYPES].sort().join(', ');

/** RequestDeserializer._supported_operations. Anything else (test, move, copy…) is 400 invalidOp. */
export const PATCH_OPERATIONS = ['add', 'remove', 'replace'] as const;
export type PatchOperation = (typeof PATCH_OPERATIONS)[number];

/** RequestDeserializer._path_depth_limits: `/locations/N` (or `-`) for add and remove, `/locations` for replace; every other path has one token. */
export const PATCH_PATH_DEPTHS: Readonly<Record<string, Readonly<Record<PatchOperation, number>>>> = { locations: { add: 2, remove: 2, replace: 1 } };

/**
 * The draft (4 for v2.0, 10 for v2.1) of a PATCH's Content-Type (parameters ignored, as webob's
 * `request.content_type`); any other type is 415 with `Accept-Patch`.
 */
export function patchDraftFor(contentType: string | undefined): PatchDraft {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (Object.hasOwn(PATCH_MEDIA_TYPE_DRAFTS, mediaType)) {
    return PATCH_MEDIA_TYPE_DRAFTS[mediaType as PatchMediaType];
  }
  throw { status: 415, message: IMAGE_MESSAGES.unsupportedMediaType(contentType ?? ''), headers: { 'Accept-Patch': ACCEPT_PATCH } } satisfies GlanceError;
}

export interface ImagePatchChange {
  op: PatchOperation;
  /** The decoded JSON pointer, e.g. ['name'] or ['locations', '-']. */
  path: string[];
  value?: unknown;
}

export interface ApplyImagePatchOptions {
  /** Glance's context_is_admin (role admin). */
  isAdmin: boolean;
  /** The request's Content-Type; checked (415) when given, else the operations are read as v2.1. */
  contentType?: string;
  /**
   * Whether modify_image allows this caller on this image (admin, or a member of the owning project). Glance checks
   * it per operation, after the body validated, so an empty patch succeeds even without it. Default true.
   */
  canModify?: boolean;
  /** image_property_quota (default 128; negative = unlimited). */
  propertyQuota?: number;
  /** image_tag_quota (default 128; negative = unlimited). */
  tagQuota?: number;
  /** The served image schema, which values are validated against; `imageSchema()` by default. */
  schema?: JsonObject;
}

export interface ImagePatchResult {
  /** The image view after the patch (the input is not changed). */
  image: Record<string, unknown>;
  /** The base attributes the patch set, with their final values. */
  attributes: Partial<Record<MutableImageAttribute, unknown>>;
  /** Every custom property after the patch. */
  properties: Record<string, unknown>;
  /** Glance saves (and so bumps updated_at) whenever the patch has at least one operation, even one changing nothing. */
  modified: boolean;
}

let defaultSchema: JsonObject | undefined;
function servedSchema(schema: JsonObject | undefined): JsonObject {
  if (schema) {
    return schema;
  }
  defaultSchema ??= imageSchema();
  return defaultSchema;
}

const ARRAY_BASE_PROPERTIES = new Set(
  Object.entries(imageBaseProperties())
    .filter(([, definition]) => definition['type'] === 'array')
    .map(([name]) => name),
);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function includes(list: readonly string[], value: string): boolean {
  return list.includes(value);
}

function isReservedName(name: string): boolean {
  return includes(IMAGE_RESERVED_PROPERTIES, name) || name.startsWith(RESERVED_NAMESPACE);
}

/** Python's truthiness, for Glance's `if not value` and `if value and value < 0`. */
function pyTruthy(value: unknown): boolean {
  if (Array.isArray(value)) {
    return value.length > 0;
  }
  if (isPlainObject(value)) {
    return Object.keys(value).length > 0;
  }
  return Boolean(value);
}

/** RequestDeserializer._validate_json_pointer + _decode_json_pointer. */
function decodePointer(pointer: unknown): string[] {
  if (typeof pointer !== 'string' || !pointer.startsWith('/')) {
    // Glance answers 500 for a pointer that is not a string; here it is the same 400 as a relative pointer.
    throw glanceError(400, IMAGE_MESSAGES.pointerNoSlash(pyStr(pointer)));
  }
  if (/\/\s*?\//.test(pointer.slice(1))) {
    throw glanceError(400, IMAGE_MESSAGES.pointerAdjacentSlashes(pointer));
  }
  if (pointer.length > 1 && pointer.endsWith('/')) {
    throw glanceError(400, IMAGE_MESSAGES.pointerTrailingSlash(pointer));
  }
  if (pointer.slice(1).trim() === '/') {
    throw glanceError(400, IMAGE_MESSAGES.pointerNoToken(pointer));
  }
  if (/~[^01]/.test(pointer) || pointer.endsWith('~')) {
    throw glanceError(400, IMAGE_MESSAGES.pointerBadTilde(pointer));
  }
  return pointer
    .replace(/^\/+/, '')
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~').trim());
}

/** RequestDeserializer._parse_json_schema_change, _validate_path, _get_change_value, _validate_change. */
function parseChange(raw: unknown, draft: PatchDraft, schema: JsonObject): ImagePatchChange {
  if (!isPlainObject(raw)) {
    throw glanceError(400, IMAGE_MESSAGES.operationNotObject);
  }
  let op: PatchOperation;
  let pointer: unknown;
  if (draft === 10) {
    const given = raw['op'];
    if (given === undefined || given === null) {
      throw glanceError(400, IMAGE_MESSAGES.missingOp);
    }
    if (typeof given !== 'string' || !includes(PATCH_OPERATIONS, given)) {
      throw glanceError(400, IMAGE_MESSAGES.invalidOp(given));
    }
    op = given as PatchOperation;
    if (!Object.hasOwn(raw, 'path')) {
      throw glanceError(400, IMAGE_MESSAGES.missingPath);
    }
    pointer = raw['path'];
  } else {
    const present = PATCH_OPERATIONS.filter((name) => Object.hasOwn(raw, name));
    if (present.length > 1) {
      throw glanceError(400, IMAGE_MESSAGES.draft4SeveralOps);
    }
    const only = present[0];
    if (only === undefined) {
      throw glanceError(400, IMAGE_MESSAGES.draft4NoOp);
    }
    op = only;
    pointer = raw[only];
  }
  const path = decodePointer(pointer);
  const root = path[0] ?? '';
  const depth = Object.hasOwn(PATCH_PATH_DEPTHS, root) ? PATCH_PATH_DEPTHS[root]?.[op] : undefined;
  if (path.length !== (depth ?? 1)) {
    throw glanceError(400, IMAGE_MESSAGES.invalidPointer(path));
  }
  const change: ImagePatchChange = { op, path };
  if (op !== 'remove') {
    if (!Object.hasOwn(raw, 'value')) {
      throw glanceError(400, IMAGE_MESSAGES.missingValue(op));
    }
    change.value = raw['value'];
  }
  if (includes(IMAGE_READONLY_PROPERTIES, root)) {
    throw glanceError(403, IMAGE_MESSAGES.readOnly(root));
  }
  if (isReservedName(root)) {
    throw glanceError(403, IMAGE_MESSAGES.reserved(root));
  }
  if (root === 'stores') {
    // Glance refuses `stores` only in a create body; a PATCH `add` would make it a custom property shadowing the
    // store list. Here it is read-only in both.
    throw glanceError(403, IMAGE_MESSAGES.readOnly(root));
  }
  if (op !== 'remove') {
    let partial: Record<string, unknown> | undefined;
    if (path.length === 1) {
      partial = { [root]: change.value };
    } else if (ARRAY_BASE_PROPERTIES.has(root)) {
      partial = { [root]: [change.value] };
    }
    const reason = partial && validateAgainstSchema(partial, schema);
    if (reason !== undefined) {
      throw glanceError(400, IMAGE_MESSAGES.schemaMismatch(reason));
    }
  }
  return change;
}

/** RequestDeserializer.update, after the Content-Type check: the operations, or the 400/403 Glance answers. */
export function parseImagePatch(operations: unknown, draft: PatchDraft = 10, schema?: JsonObject): ImagePatchChange[] {
  if (operations === undefined) {
    throw glanceError(400, IMAGE_MESSAGES.bodyExpected);
  }
  if (!Array.isArray(operations)) {
    throw glanceError(400, isPlainObject(operations) ? IMAGE_MESSAGES.patchBodyNotList : IMAGE_MESSAGES.unexpectedBodyType);
  }
  const served = servedSchema(schema);
  return operations.map((raw) => parseChange(raw, draft, served));
}

function isMutableAttribute(name: string): name is MutableImageAttribute {
  return includes(MUTABLE_IMAGE_ATTRIBUTES, name);
}

/** The custom properties of an image view: its keys that are not base keys. */
export function customPropertiesOf(image: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(image).filter(([key]) => !includes(IMAGE_VIEW_BASE_KEYS, key)));
}

function checkQuota(count: number, quota: number, message: (attempted: number, maximum: number) => string): void {
  if (quota >= 0 && count > quota) {
    throw glanceError(413, message(count, quota));
  }
}

/**
 * Apply a PATCH body to an image view (the flat object GET /v2/images/{id} returns: base attributes and custom
 * properties side by side) as Glance 2024.1 does, or throw the GlanceError it would answer with:
 *
 * 1. (RequestDeserializer.update) the Content-Type, when given (415); then every operation is parsed and validated
 *    before any is applied: body shape, `op`, `path`, depth, `value` (400), read-only (403), reserved and os_glance*
 *    (403), the value against the image schema (400).
 * 2. (ImagesController.update, _do_add/_do_replace/_do_remove) the operations in order: `locations` (403 unless
 *    show_multiple_locations, which is off), `owner` for non-admins (403), publicize/communitize and modify_image
 *    policy (403), then the attribute or property: replace/remove of a missing property (409), remove of a base
 *    attribute (403), v2.0 `add` of an existing one (409; v2.1 `add` just sets it), the domain's checks
 *    (format of a non-queued image 403, negative min_* 400, tag quota 413).
 * 3. (ImageRepo.save) the property quota if the patch added a property (413), the 4-byte int range (400).
 */
export function applyImagePatch(image: Record<string, unknown>, operations: unknown, options: ApplyImagePatchOptions): ImagePatchResult {
  const draft = options.contentType === undefined ? 10 : patchDraftFor(options.contentType);
  const changes = parseImagePatch(operations, draft, options.schema);
  const canModify = options.isAdmin || (options.canModify ?? true);
  const tagQuota = options.tagQuota ?? GLANCE_CONFIG_DEFAULTS.image_tag_quota;
  const propertyQuota = options.propertyQuota ?? GLANCE_CONFIG_DEFAULTS.image_property_quota;
  const status = image['status'];

  const original = customPropertiesOf(image);
  // A Map, so that a property named `__proto__` is a property like any other.
  const properties = new Map<string, unknown>(Object.entries(original));
  const attributes: Partial<Record<MutableImageAttribute, unknown>> = {};

  const enforce = (allowed: boolean, action: string) => {
    if (!allowed) {
      throw glanceError(403, IMAGE_MESSAGES.policy(action));
    }
  };
  // glance/api/v2/policy.py ImageAPIPolicy.update_property: visibility's own rule first, then modify_image.
  const updateProperty = (name: string, value?: unknown) => {
    if (name === 'visibility') {
      if (value === 'public') {
        enforce(options.isAdmin, 'publicize_image');
      } else if (value === 'community') {
        enforce(canModify, 'communitize_image');
      }
    }
    enforce(canModify, 'modify_image');
  };
  // glance/domain/__init__.py Image setters and glance/quota ImageProxy.tags.
  const setAttribute = (name: MutableImageAttribute, value: unknown) => {
    if ((name === 'disk_format' || name === 'container_format') && status !== 'queued' && status !== 'importing') {
      throw glanceError(403, IMAGE_MESSAGES.formatOnlyWhenQueued(name));
    }
    if ((name === 'min_disk' || name === 'min_ram') && pyTruthy(value) && typeof value === 'number' && value < 0) {
      throw glanceError(400, IMAGE_MESSAGES.negative(name, value));
    }
    if (name === 'tags' && Array.isArray(value)) {
      checkQuota(value.length, tagQuota, IMAGE_MESSAGES.tagQuota);
      attributes.tags = [...new Set(value)];
      return;
    }
    attributes[name] = value;
  };
  const hasAttribute = (name: string) => isMutableAttribute(name) || includes(INTERNAL_IMAGE_ATTRIBUTES, name);

  for (const change of changes) {
    const root = change.path[0] ?? '';
    if (root === 'locations') {
      if (change.op === 'replace' && !pyTruthy(change.value)) {
        throw glanceError(403, IMAGE_MESSAGES.locationsEmpty);
      }
      if (change.op === 'remove') {
        enforce(options.isAdmin, 'delete_image_location');
        throw glanceError(403, IMAGE_MESSAGES.locationsInvisible('remove'));
      }
      enforce(canModify, 'set_image_location');
      throw glanceError(403, IMAGE_MESSAGES.locationsInvisible(change.op === 'add' ? 'add' : 'update'));
    }
    switch (change.op) {
      case 'replace':
        if (root === 'owner' && !options.isAdmin) {
          throw glanceError(403, IMAGE_MESSAGES.ownerNonAdmin);
        }
        updateProperty(root, change.value);
        if (isMutableAttribute(root)) {
          setAttribute(root, change.value);
        } else if (includes(INTERNAL_IMAGE_ATTRIBUTES, root)) {
          throw glanceError(403, IMAGE_MESSAGES.readOnly(root));
        } else if (properties.has(root)) {
          properties.set(root, change.value);
        } else {
          throw glanceError(409, IMAGE_MESSAGES.propertyMissing(root));
        }
        break;
      case 'add':
        // Glance 2024.1 lets a non-admin `add` /owner (only `replace` is checked); here `add` is refused alike.
        if (root === 'owner' && !options.isAdmin) {
          throw glanceError(403, IMAGE_MESSAGES.ownerNonAdmin);
        }
        updateProperty(root, change.value);
        if (draft === 4 && (hasAttribute(root) || properties.has(root))) {
          throw glanceError(409, IMAGE_MESSAGES.propertyPresent(root));
        }
        if (isMutableAttribute(root)) {
          setAttribute(root, change.value);
        } else if (includes(INTERNAL_IMAGE_ATTRIBUTES, root)) {
          throw glanceError(403, IMAGE_MESSAGES.readOnly(root));
        } else {
          // Glance checks a custom property's name length only on create (the DB column is 255 long); here too.
          if ([...root].length > MAX_PROPERTY_KEY_LENGTH) {
            throw glanceError(400, IMAGE_MESSAGES.customKeyTooLong);
          }
          properties.set(root, change.value);
        }
        break;
      case 'remove':
        updateProperty(root);
        if (hasAttribute(root)) {
          throw glanceError(403, IMAGE_MESSAGES.propertyNotRemovable(root));
        }
        if (!properties.has(root)) {
          throw glanceError(409, IMAGE_MESSAGES.propertyMissing(root));
        }
        properties.delete(root);
        break;
    }
  }

  if (changes.length > 0) {
    // glance/quota ImageRepoProxy.save: counted only when a property was added; os_glance_* ones never count.
    const names = [...properties.keys()];
    if (names.some((key) => !Object.hasOwn(original, key))) {
      checkQuota(names.filter((key) => !key.startsWith(RESERVED_NAMESPACE)).length, propertyQuota, IMAGE_MESSAGES.propertyQuota);
    }
    for (const name of ['min_disk', 'min_ram'] as const) {
      const value = name in attributes ? attributes[name] : image[name];
      if (typeof value === 'number' && value > MAX_DB_INT) {
        throw glanceError(400, IMAGE_MESSAGES.intOutOfRange(name));
      }
    }
  }

  const finalProperties = Object.fromEntries(properties);
  const view = Object.fromEntries(Object.entries(image).filter(([key]) => !Object.hasOwn(original, key)));
  return { image: { ...finalProperties, ...view, ...attributes }, attributes, properties: finalProperties, modified: changes.length > 0 };
}

// ---------------------------------------------------------------------------------------------------------------
// Create

export interface ImageCreateOptions {
  isAdmin: boolean;
  /** The caller's project: the image's owner unless the body names one. */
  projectId: string | null;
  /** Whether the caller has the member role (add_image needs it; reader is not enough). Default true. */
  isMember?: boolean;
  propertyQuota?: number;
  tagQuota?: number;
  schema?: JsonObject;
}

/** An image to create, with Glance's defaults (glance/domain/__init__.py ImageFactory.new_image). */
export interface ImageCreateInput {
  /** Only when the body gave one (Glance then uses it, else it makes a uuid4). */
  id?: string;
  name: string | null;
  /** Glance's default is `shared` (not private) since Pike. */
  visibility: ImageVisibility;
  protected: boolean;
  os_hidden: boolean;
  owner: string | null;
  disk_format: string | null;
  container_format: string | null;
  min_disk: number;
  min_ram: number;
  tags: string[];
  properties: Record<string, string>;
}

/**
 * Validate a create body as Glance 2024.1 does (RequestDeserializer.create, ImagesController.create,
 * ImageAPIPolicy.add_image, the quota and domain factories, ImageRepo.add) and return the image to create, or
 * throw its GlanceError. A duplicate `id` (409 IMAGE_MESSAGES.duplicateId) is for the caller's store to detect.
 */
export function checkImageCreate(body: unknown, options: ImageCreateOptions): ImageCreateInput {
  if (body === undefined) {
    throw glanceError(400, IMAGE_MESSAGES.bodyExpected);
  }
  if (!isPlainObject(body)) {
    // A JSON array passes Glance's checks and then fails with a 500; here it is 400 like any other non-object.
    throw glanceError(400, IMAGE_MESSAGES.unexpectedBodyType);
  }
  for (const name of IMAGE_DISALLOWED_PROPERTIES) {
    if (Object.hasOwn(body, name)) {
      throw glanceError(403, IMAGE_MESSAGES.readOnly(name));
    }
  }
  const reason = validateAgainstSchema(body, servedSchema(options.schema));
  if (reason !== undefined) {
    throw glanceError(400, IMAGE_MESSAGES.schemaMismatch(reason));
  }

  const entries = Object.entries(body);
  const base = Object.fromEntries(entries.filter(([key]) => includes(IMAGE_BASE_PROPERTIES, key)));
  const extra = Object.fromEntries(entries.filter(([key]) => !includes(IMAGE_BASE_PROPERTIES, key)));
  for (const key of Object.keys(extra)) {
    if ([...key].length > MAX_PROPERTY_KEY_LENGTH) {
      throw glanceError(400, IMAGE_MESSAGES.customKeyTooLong);
    }
    if (isReservedName(key)) {
      throw glanceError(403, IMAGE_MESSAGES.reserved(key));
    }
  }

  const owner = Object.hasOwn(base, 'owner') ? (base['owner'] as string | null) : options.projectId;
  if (!options.isAdmin && !((options.isMember ?? true) && owner !== null && owner === options.projectId)) {
    if (owner !== options.projectId || owner === null) {
      throw glanceError(403, IMAGE_MESSAGES.createForOtherOwner(owner));
    }
    throw glanceError(403, IMAGE_MESSAGES.policy('add_image'));
  }
  const visibility = (base['visibility'] as ImageVisibility | undefined) ?? 'shared';
  if (visibility === 'public' && !options.isAdmin) {
    throw glanceError(403, IMAGE_MESSAGES.policy('publicize_image'));
  }

  const tags = (base['tags'] as string[] | undefined) ?? [];
  checkQuota(tags.length, options.tagQuota ?? GLANCE_CONFIG_DEFAULTS.image_tag_quota, IMAGE_MESSAGES.tagQuota);
  for (const name of CREATE_READONLY_ATTRIBUTES) {
    // Glance checks the base attributes only: os_hash_algo/os_hash_value in a body become custom properties that
    // the view then hides. Here they are refused as read-only too.
    if (Object.hasOwn(base, name) || Object.hasOwn(extra, name)) {
      throw glanceError(403, IMAGE_MESSAGES.readOnly(name));
    }
  }
  for (const name of CREATE_RESERVED_PROPERTIES) {
    if (Object.hasOwn(extra, name)) {
      throw glanceError(403, IMAGE_MESSAGES.reserved(name));
    }
  }
  for (const name of ['min_disk', 'min_ram'] as const) {
    const value = base[name];
    if (typeof value === 'number' && value < 0) {
      throw glanceError(400, IMAGE_MESSAGES.negative(name, value));
    }
  }
  checkQuota(
    Object.keys(extra).filter((key) => !key.startsWith(RESERVED_NAMESPACE)).length,
    options.propertyQuota ?? GLANCE_CONFIG_DEFAULTS.image_property_quota,
    IMAGE_MESSAGES.propertyQuota,
  );
  for (const name of ['min_disk', 'min_ram'] as const) {
    const value = base[name];
    if (typeof value === 'number' && value > MAX_DB_INT) {
      throw glanceError(400, IMAGE_MESSAGES.intOutOfRange(name));
    }
  }

  const input: ImageCreateInput = {
    name: (base['name'] as string | null | undefined) ?? null,
    visibility,
    protected: (base['protected'] as boolean | undefined) ?? false,
    os_hidden: (base['os_hidden'] as boolean | undefined) ?? false,
    owner,
    disk_format: (base['disk_format'] as string | null | undefined) ?? null,
    container_format: (base['container_format'] as string | null | undefined) ?? null,
    min_disk: (base['min_disk'] as number | undefined) ?? 0,
    min_ram: (base['min_ram'] as number | undefined) ?? 0,
    tags: [...new Set(tags)],
    properties: extra as Record<string, string>,
  };
  if (typeof base['id'] === 'string') {
    input.id = base['id'];
  }
  return input;
}
