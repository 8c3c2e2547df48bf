import { z } from 'zod';
import { OpenStackError } from '../errors/openstack-error';
import { parseInput } from './parse-body';

const serverBody = z.object({
  server: z.object({
    name: z.string().min(1),
    flavorRef: z.string(),
    min_count: z.coerce.number().int().min(1).default(1),
    networks: z.array(z.object({ uuid: z.uuid() })).optional(),
  }),
});

function rejectionOf(input: unknown, schema: z.ZodType = serverBody): OpenStackError {
  try {
    parseInput(schema, input);
  } catch (error) {
    expect(error).toBeInstanceOf(OpenStackError);
    return error as OpenStackError;
  }
  throw new Error('expected the input to be refused');
}

describe('parseInput', () => {
  it('returns the parsed input, defaults and conversions applied', () => {
    expect(parseInput(serverBody, { server: { name: 'web', flavorRef: '1', min_count: '2' } })).toEqual({ server: { name: 'web', flavorRef: '1', min_count: 2 } });
    expect(parseInput(serverBody, { server: { name: 'web', flavorRef: '1' } }).server.min_count).toBe(1);
  });

  it('reads a missing body as an empty one', () => {
    expect(parseInput(z.object({ limit: z.string().optional() }), undefined)).toEqual({});
    expect(parseInput(z.object({ limit: z.string().optional() }), null)).toEqual({});
  });

  it('refuses bad input with a 400 Bad Request', () => {
    const error = rejectionOf({ server: { name: '', flavorRef: '1' } });
    expect(error.status).toBe(400);
    expect(error.fault).toBe('badRequest');
  });

  it.each([
    ['a missing object', {}, 'server', 'expected object, received undefined'],
    ['a missing field', { server: { flavorRef: '1' } }, 'server/name', 'expected string, received undefined'],
    ['a field of the wrong type', { server: { name: 5, flavorRef: '1' } }, 'server/name', 'expected string, received number'],
    ['an item of a list', { server: { name: 'web', flavorRef: '1', networks: [{ uuid: 'not-a-uuid' }] } }, 'server/networks/0/uuid', 'Invalid UUID'],
    ['a value out of range', { server: { name: 'web', flavorRef: '1', min_count: 0 } }, 'server/min_count', '>=1'],
  ])('names the field of %s and what is wrong with it', (_case, input, field, problem) => {
    const { message } = rejectionOf(input);
    expect(message.startsWith(`Invalid input for field '${field}': `)).toBe(true);
    expect(message).toContain(problem);
  });

  it('names the body itself when the whole of it is wrong', () => {
    expect(rejectionOf('just text').message).toBe("Invalid input for field 'body': Invalid input: expected object, received string");
    expect(rejectionOf([1, 2], z.object({})).message).toMatch(/^Invalid input for field 'body': /);
  });

  it('reports one problem at a time, the first one', () => {
    const { message } = rejectionOf({ server: { name: 5, flavorRef: 6 } });
    expect(message).toMatch(/^Invalid input for field 'server\/name'/);
    expect(message).not.toContain('flavorRef');
  });
});
