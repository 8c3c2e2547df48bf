import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface AdminAccess {
  authUrl: string;
  password: string;
  region: string;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `clouds.yaml` (cloud `overcast`) and `admin-openrc` for the admin, readable by their owner only. */
export async function writeClientConfig(dir: string, access: AdminAccess): Promise<void> {
  const auth = { auth_url: access.authUrl, username: 'admin', password: access.password, project_name: 'admin', user_domain_name: 'Default', project_domain_name: 'Default' };
  const clouds = { clouds: { overcast: { auth, region_name: access.region, identity_api_version: 3, interface: 'public' } } };
  const openrc = {
    OS_AUTH_URL: access.authUrl,
    OS_USERNAME: 'admin',
    OS_PASSWORD: access.password,
    OS_PROJECT_NAME: 'admin',
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_REGION_NAME: access.region,
    OS_IDENTITY_API_VERSION: '3',
    OS_INTERFACE: 'public',
  };
  await writeFile(join(dir, 'clouds.yaml'), stringify(clouds), { mode: 0o600 });
  await writeFile(join(dir, 'admin-openrc'), Object.entries(openrc).map(([key, value]) => `export ${key}=${shellQuote(value)}\n`).join(''), { mode: 0o600 });
}
