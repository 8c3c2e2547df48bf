import { badRequest } from '@overcast/shared/core';
import { IMAGE_MESSAGES } from '../schemas/image-properties';
import { type ImportMethod } from './import-methods';

/** A `POST /v2/images/{id}/import` body, checked. */
export interface ImportRequest {
  method: ImportMethod;
  /** web-download's URL, as given (the filter judges it). */
  uri?: unknown;
  /** The store ids named (`stores`, or the `X-Image-Meta-Store` header); undefined: the default store. */
  stores?: string[];
  allStores: boolean;
  allStoresMustSucceed: boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads an import request as Glance does (images.py RequestDeserializer._validate_import_body and
 * utils.get_stores_from_request), with its messages: 400 for a malformed body, an import method this
 * cloud does not offer, or stores named in two ways at once. Which stores exist is the caller's to check.
 */
export function parseImportRequest(body: unknown, enabled: readonly ImportMethod[], storeHeader: string | undefined): ImportRequest {
  if (body === undefined) {
    throw badRequest(IMAGE_MESSAGES.bodyExpected);
  }
  if (!isObject(body)) {
    throw badRequest(IMAGE_MESSAGES.unexpectedBodyType);
  }
  const method = body['method'];
  if (method === undefined) {
    throw badRequest("Import request requires a 'method' field.");
  }
  if (!isObject(method) || method['name'] === undefined) {
    throw badRequest("Import request requires a 'name' field.");
  }
  const name = method['name'];
  if (typeof name !== 'string' || !(enabled as readonly string[]).includes(name)) {
    throw badRequest(`Unknown import method name '${String(name)}'.`);
  }
  const allStoresMustSucceed = body['all_stores_must_succeed'] ?? true;
  if (typeof allStoresMustSucceed !== 'boolean') {
    throw badRequest("'all_stores_must_succeed' must be boolean value only");
  }
  const allStores = body['all_stores'] ?? false;
  if (typeof allStores !== 'boolean') {
    throw badRequest("'all_stores' must be boolean value only");
  }
  let stores: string[] | undefined;
  if (allStores) {
    if (body['stores'] !== undefined || storeHeader !== undefined) {
      throw badRequest("All_stores parameter can't be used with x-image-meta-store header or stores parameter");
    }
  } else if (body['stores'] !== undefined) {
    if (storeHeader !== undefined) {
      throw badRequest("Stores parameter and x-image-meta-store header can't be both specified");
    }
    const named = body['stores'];
    if (!Array.isArray(named) || named.length === 0 || !named.every((store): store is string => typeof store === 'string')) {
      throw badRequest("'stores' must be a non-empty list of store identifiers");
    }
    stores = [...new Set(named)];
  } else if (storeHeader !== undefined) {
    stores = [storeHeader];
  }
  return { method: name as ImportMethod, uri: method['uri'], stores, allStores, allStoresMustSucceed };
}
