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
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** Nova and Cinder name the fault in the body's only key. */
const NOVA_KEYS: Record<Fault, string> = {
  badRequest: 'badRequest',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  notFound: 'itemNotFound',
  methodNotAllowed: 'badMethod',
  notAcceptable: 'notAcceptable',
  conflict: 'conflictingRequest',
  gone: 'gone',
  payloadTooLarge: 'overLimit',
  unsupportedMediaType: 'badMediaType',
  tooManyRequests: 'overLimit',
  internal: 'computeFault',
  notImplemented: 'notImplemented',
  serviceUnavailable: 'serviceUnavailable',
};

export function renderError(format: ErrorFormat, fault: Fault, message: string, type?: string): unknown {
  const code = FAULTS[fault];
  const title = TITLES[code] ?? 'Error';
  switch (format) {
    case 'keystone':
      return { error: { code, title, message } };
    case 'nova':
      return { [NOVA_KEYS[fault]]: { code, message } };
    case 'neutron':
      return { NeutronError: { type: type ?? title.replace(/ /g, ''), message, detail: '' } };
    case 'glance':
      return { code, title, message: `${code} ${title}\n\n${message}` };
  }
}
