/** The kinds of fault every OpenStack service distinguishes, each with its HTTP status. */
export const FAULTS = {
  badRequest: 400,
  unauthorized: 401,
  forbidden: 403,
  notFound: 404,
  methodNotAllowed: 405,
  notAcceptable: 406,
  conflict: 409,
  gone: 410,
  payloadTooLarge: 413,
  unsupportedMediaType: 415,
  rangeNotSatisfiable: 416,
  tooManyRequests: 429,
  internal: 500,
  notImplemented: 501,
  serviceUnavailable: 503,
} as const;
export type Fault = keyof typeof FAULTS;

const FAULT_BY_STATUS = new Map<number, Fault>(Object.entries(FAULTS).map(([fault, status]) => [status, fault as Fault]));

export function faultForStatus(status: number): Fault {
  return FAULT_BY_STATUS.get(status) ?? (status >= 500 ? 'internal' : 'badRequest');
}

/** An error whose message is safe to show the caller; the filter renders it in the service's format. */
export class OpenStackError extends Error {
  override readonly name = 'OpenStackError';

  constructor(
    readonly fault: Fault,
    message: string,
    /** Neutron-style type name, e.g. `NetworkNotFound`; optional elsewhere. */
    readonly type?: string,
    /** Headers the answer carries, e.g. `Accept-Patch` with a 415 or `Content-Range` with a 416. */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
  }

  get status(): number {
    return FAULTS[this.fault];
  }
}

export const badRequest = (message: string, type?: string) => new OpenStackError('badRequest', message, type);
export const unauthorized = (message = 'The request you have made requires authentication.') => new OpenStackError('unauthorized', message);
export const forbidden = (message = 'You are not authorized to perform the requested action.', type?: string) => new OpenStackError('forbidden', message, type);
export const notFound = (message: string, type?: string) => new OpenStackError('notFound', message, type);
export const conflict = (message: string, type?: string) => new OpenStackError('conflict', message, type);
export const serviceUnavailable = (message: string) => new OpenStackError('serviceUnavailable', message);
