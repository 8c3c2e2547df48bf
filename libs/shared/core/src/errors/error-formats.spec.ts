import { BadRequestException, HttpException, InternalServerErrorException, NotFoundException } from '@nestjs/common';
import { renderError } from './error-formats';
import { badRequest, conflict, type Fault, FAULTS, faultForStatus, forbidden, notFound, OpenStackError, unauthorized } from './openstack-error';
import { describeError } from './openstack-exception.filter';

// The expected bodies are those the OpenStack services send (their sources: keystone.exception and
// keystone.server.flask, nova.api.openstack.wsgi.Fault, neutron.api.api_common
// .convert_exception_to_http_exc, webob.exc.WSGIHTTPException.json_formatter for glance,
// keystonemiddleware.auth_token for every 401 outside keystone).

describe('renderError', () => {
  describe('keystone', () => {
    it.each([
      ['badRequest', 400, 'Bad Request'],
      ['forbidden', 403, 'Forbidden'],
      ['notFound', 404, 'Not Found'],
      ['methodNotAllowed', 405, 'Method Not Allowed'],
      ['conflict', 409, 'Conflict'],
      ['payloadTooLarge', 413, 'Request Entity Too Large'],
      ['internal', 500, 'Internal Server Error'],
      ['notImplemented', 501, 'Not Implemented'],
      ['serviceUnavailable', 503, 'Service Unavailable'],
    ] as const)('%s is {"error": {code %i, title %j, message}}', (fault, code, title) => {
      expect(renderError('keystone', fault, 'Could not find project: p1.')).toEqual({ error: { code, title, message: 'Could not find project: p1.' } });
    });
  });

  describe('nova (and cinder)', () => {
    it.each([
      ['badRequest', 'badRequest'],
      ['forbidden', 'forbidden'],
      ['notFound', 'itemNotFound'],
      ['methodNotAllowed', 'badMethod'],
      ['conflict', 'conflictingRequest'],
      ['payloadTooLarge', 'overLimit'],
      ['tooManyRequests', 'overLimit'],
      ['unsupportedMediaType', 'badMediaType'],
      ['notImplemented', 'notImplemented'],
      ['serviceUnavailable', 'serviceUnavailable'],
      // Statuses without a name of their own in nova's Fault map.
      ['internal', 'computeFault'],
      ['notAcceptable', 'computeFault'],
      ['gone', 'computeFault'],
    ] as const)('%s is {"%s": {code, message}}', (fault, key) => {
      expect(renderError('nova', fault, 'Instance abc could not be found.')).toEqual({ [key]: { code: FAULTS[fault], message: 'Instance abc could not be found.' } });
    });
  });

  describe('neutron', () => {
    it('names the type given, with an empty detail', () => {
      expect(renderError('neutron', 'notFound', 'Network net-1 could not be found.', 'NetworkNotFound')).toEqual({
        NeutronError: { type: 'NetworkNotFound', message: 'Network net-1 could not be found.', detail: '' },
      });
    });

    it.each([
      ['badRequest', 'HTTPBadRequest'],
      ['forbidden', 'HTTPForbidden'],
      ['notFound', 'HTTPNotFound'],
      ['methodNotAllowed', 'HTTPMethodNotAllowed'],
      ['conflict', 'HTTPConflict'],
      ['payloadTooLarge', 'HTTPRequestEntityTooLarge'],
      ['internal', 'HTTPInternalServerError'],
    ] as const)('without a type, %s is webob’s %s', (fault, type) => {
      expect(renderError('neutron', fault, 'm')).toEqual({ NeutronError: { type, message: 'm', detail: '' } });
    });
  });

  describe('glance', () => {
    it('is webob’s JSON error: the status line as code, the explanation in the body template', () => {
      expect(renderError('glance', 'notFound', 'No image found with ID 7e1b.')).toEqual({
        message: 'No image found with ID 7e1b.<br /><br />\n\n\n',
        code: '404 Not Found',
        title: 'Not Found',
      });
      expect(renderError('glance', 'conflict', 'Image storage media is full.')).toEqual({
        message: 'Image storage media is full.<br /><br />\n\n\n',
        code: '409 Conflict',
        title: 'Conflict',
      });
    });
  });

  it.each(['keystone', 'nova', 'neutron', 'glance'] as const)('a 401 from %s is Keystone’s body, as keystonemiddleware sends it', (format) => {
    expect(renderError(format, 'unauthorized', 'The request you have made requires authentication.')).toEqual({
      error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
    });
  });
});

describe('faults', () => {
  it('maps statuses to faults, unknown ones to the nearest class', () => {
    for (const [fault, status] of Object.entries(FAULTS)) {
      expect(faultForStatus(status)).toBe(fault as Fault);
    }
    expect(faultForStatus(418)).toBe('badRequest');
    expect(faultForStatus(422)).toBe('badRequest');
    expect(faultForStatus(502)).toBe('internal');
  });

  it('builds errors with their status, message and type', () => {
    expect(notFound('No server.', 'ServerNotFound')).toMatchObject({ fault: 'notFound', status: 404, message: 'No server.', type: 'ServerNotFound' });
    expect(badRequest('Bad.').status).toBe(400);
    expect(conflict('Busy.').status).toBe(409);
    expect(unauthorized()).toMatchObject({ status: 401, message: 'The request you have made requires authentication.' });
    expect(forbidden()).toMatchObject({ status: 403, message: 'You are not authorized to perform the requested action.' });
    expect(notFound('x')).toBeInstanceOf(Error);
  });
});

describe('describeError', () => {
  it('shows an OpenStackError as it is', () => {
    expect(describeError(new OpenStackError('conflict', 'Port is in use.', 'PortInUse'))).toEqual({ status: 409, message: 'Port is in use.', type: 'PortInUse', unexpected: false });
  });

  it('gives Nest’s exceptions their status, and an unknown route OpenStack’s words', () => {
    expect(describeError(new NotFoundException('Cannot GET /v2.1/nothing'))).toEqual({ status: 404, message: 'The resource could not be found.', unexpected: false });
    expect(describeError(new HttpException('Too many things.', 400))).toEqual({ status: 400, message: 'Too many things.', unexpected: false });
    expect(describeError(new BadRequestException())).toMatchObject({ status: 400, unexpected: false });
    expect(describeError(new InternalServerErrorException('db down'))).toMatchObject({ status: 500, unexpected: true });
  });

  it('turns body-parser failures into 400 and 413 without their internals', () => {
    expect(describeError({ type: 'entity.parse.failed', status: 400, body: '{"a":' })).toEqual({ status: 400, message: 'Malformed request body: it is not valid JSON.', unexpected: false });
    expect(describeError({ type: 'entity.too.large', status: 413 })).toEqual({ status: 413, message: 'Request body is too large.', unexpected: false });
  });

  it('hides anything else behind a generic 500', () => {
    const described = describeError(new Error('connect ECONNREFUSED postgres://admin:pw@db/identity'));
    expect(described).toEqual({ status: 500, message: 'An unexpected error prevented the server from fulfilling your request.', unexpected: true });
    expect(describeError('a string')).toMatchObject({ status: 500, unexpected: true });
  });
});
