import { type Fault, FAULTS } from './openstack-error';

/** Each OpenStack service renders faults its own way; clients parse these bodies. */
export type ErrorFormat = 'keystone' | 'nova' | 'neutron' | 'glance';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Requested Range Not Satisfiable',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/**
 * Nova and Cinder name the fault in the body's only key (nova.api.openstack.wsgi.Fault): a status
 * without a name of its own (406, 410, 500…) is a `computeFault`.
 */
const NOVA_KEYS: Record<Fault, string> = {
  badRequest: 'badRequest',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  notFound: 'itemNotFound',
  methodNotAllowed: 'badMethod',
  notAcceptable: 'computeFault',
  conflict: 'conflictingRequest',
  gone: 'computeFault',
  payloadTooLarge: 'overLimit',
  unsupportedMediaType: 'badMediaType',
  rangeNotSatisfiable: 'computeFault',
  tooManyRequests: 'overLimit',
  internal: 'computeFault',
  notImplemented: 'notImplemented',
  serviceUnavailable: 'serviceUnavailable',
};

/**
 * The body of an error, as the OpenStack peer of the service writes it:
 * - keystone: `{"error": {"code": 404, "title": "Not Found", "message": …}}`;
 * - nova (and cinder): `{"itemNotFound": {"code": 404, "message": …}}`;
 * - neutron: `{"NeutronError": {"type": "NetworkNotFound", "message": …, "detail": ""}}`, the type
 *   being the exception's class name (webob's `HTTPNotFound`… when there is no better one);
 * - glance: webob's JSON error, `{"message": "…<br /><br />\n\n\n", "code": "404 Not Found", "title": "Not Found"}`.
 * A 401 is Keystone's body for every service: in OpenStack it is keystonemiddleware that refuses
 * the token, before the service's own fault handling.
 */
export function renderError(format: ErrorFormat, fault: Fault, message: string, type?: string): unknown {
  const code = FAULTS[fault];
  const title = TITLES[code] ?? 'Error';
  if (fault === 'unauthorized') {
    return { error: { code, title, message } };
  }
  switch (format) {
    case 'keystone':
      return { error: { code, title, message } };
    case 'nova':
      return { [NOVA_KEYS[fault]]: { code, message } };
    case 'neutron':
      return { NeutronError: { type: type ?? `HTTP${title.replace(/ /g, '')}`, message, detail: '' } };
    case 'glance':
      return { message: `${message}<br /><br />\n\n\n`, code: `${code} ${title}`, title };
  }
}
