import { type Secret } from '@overcast/shared/core';

export interface ServiceCredentials {
  identityUrl: string;
  userName: string;
  password: Secret;
  projectName: string;
  domainName: string;
}

/** A token is renewed this long before it expires, so a call never carries one about to lapse. */
const RENEW_BEFORE_MS = 5 * 60_000;

/**
 * The service's own token (its user in the `service` project), as keystonemiddleware and the
 * services' clients keep one: issued on first use, reused until shortly before it expires.
 */
export class ServiceToken {
  private current?: Promise<{ token: string; expiresAt: number }>;
  /** The request under way, which concurrent callers share. */
  private issuing?: Promise<{ token: string; expiresAt: number }>;

  constructor(private readonly credentials: ServiceCredentials) {}

  async get(): Promise<string> {
    const held = await this.current?.catch(() => undefined);
    if (held && held.expiresAt - RENEW_BEFORE_MS > Date.now()) {
      return held.token;
    }
    this.issuing ??= this.issue().finally(() => {
      this.issuing = undefined;
    });
    this.current = this.issuing;
    return (await this.issuing).token;
  }

  private async issue(): Promise<{ token: string; expiresAt: number }> {
    const { identityUrl, userName, password, projectName, domainName } = this.credentials;
    const response = await fetch(new URL('/v3/auth/tokens?nocatalog', identityUrl), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: userName, domain: { name: domainName }, password: password.reveal() } } },
          scope: { project: { name: projectName, domain: { name: domainName } } },
        },
      }),
      signal: AbortSignal.timeout(10_000),
    });
    const token = response.headers.get('x-subject-token');
    if (response.status !== 201 || !token) {
      throw new Error(`identity refused the service user ${userName} (${response.status})`);
    }
    const body = (await response.json()) as { token?: { expires_at?: string } };
    const expiresAt = body.token?.expires_at ? Date.parse(body.token.expires_at) : Date.now() + RENEW_BEFORE_MS * 2;
    return { token, expiresAt };
  }
}
