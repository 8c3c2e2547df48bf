import { hostname } from 'node:os';
import { z } from 'zod';
import { Secret } from './secret';

/** Zod building blocks for settings that arrive as strings from the environment. */
export const setting = {
  string: () => z.string().min(1),
  /**
   * A whole number. The environment's text becomes a number only when it is a plain decimal
   * (see loadConfig): "" or "0x10" is refused, not read as 0 or 16.
   */
  integer: () =>
    z
      .number({
        // Only the type's own issue: range checks (min, max) keep their own messages.
        error: (issue) => (issue.code !== 'invalid_type' ? undefined : issue.input === undefined ? 'required' : `must be a whole number, not ${JSON.stringify(issue.input)}`),
      })
      .int(),
  boolean: () =>
    z.preprocess((value) => {
      if (typeof value !== 'string') {
        return value;
      }
      const lowered = value.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(lowered)) {
        return true;
      }
      if (['false', '0', 'no', 'off'].includes(lowered)) {
        return false;
      }
      return value;
    }, z.boolean()),
  // The message never quotes the value: it is a secret.
  secret: () =>
    z.union([z.instanceof(Secret), z.string().min(1).transform((value) => new Secret(value))], {
      error: (issue) => (issue.input === undefined ? 'required' : 'must be a non-empty string'),
    }),
  /** A PostgreSQL URL, or `embedded` for the embedded PGlite database under the data dir. */
  databaseUrl: () =>
    z.string().refine((value) => value === 'embedded' || /^postgres(ql)?:\/\//.test(value), {
      message: 'must be "embedded" or a postgres:// URL',
    }),
  /** `memory://` for the in-process bus (all-in-one), or an amqp:// URL of RabbitMQ. */
  transportUrl: () =>
    z.string().refine((value) => /^(memory|amqps?):\/\//.test(value), {
      message: 'must be memory:// or an amqp:// URL',
    }),
};

/** Settings every service process shares. */
export const commonSettings = z.object({
  dataDir: setting.string().default('./data'),
  /**
   * The pristine cluster each embedded database starts as a copy of, made there on first use
   * (default `<dataDir>/db/.initdb`); all-in-ones on one machine may share one.
   */
  embeddedDatabaseTemplate: setting.string().optional(),
  transportUrl: setting.transportUrl().default('memory://'),
  region: setting.string().default('RegionOne'),
  /** This node's name: agents serve `<role>.<host>` on the bus. */
  host: setting.string().default(hostname()),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  /** Address the APIs listen on. */
  bindHost: setting.string().default('127.0.0.1'),
  /** Host name clients use to reach the APIs; goes into the catalog. */
  publicHost: setting.string().default('127.0.0.1'),
  policyFile: setting.string().optional(),
  /** Where the other services reach identity for its public keys and revocation list. */
  identityUrl: z.url().default('http://127.0.0.1:5000'),
});

/** The settings of a service that validates tokens but is not identity: its own service user. */
export const serviceUserSettings = {
  serviceUserName: setting.string().optional(),
  servicePassword: setting.secret(),
};
export type CommonSettings = z.infer<typeof commonSettings>;
