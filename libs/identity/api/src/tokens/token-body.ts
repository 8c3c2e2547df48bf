import { keystoneTime, type TokenClaims } from '@overcast/shared/auth';
import { type CatalogEntry } from '../catalog/catalog.service';

/** Keystone's token document, rebuilt from the claims the signed token carries. */
export function tokenBody(claims: TokenClaims, catalog: CatalogEntry[] | undefined): { token: Record<string, unknown> } {
  const token: Record<string, unknown> = {
    methods: claims.methods,
    user: { ...claims.user, password_expires_at: null },
    audit_ids: claims.audit_ids,
    expires_at: keystoneTime(claims.exp * 1000),
    issued_at: keystoneTime(claims.iat * 1000),
  };
  if (claims.project) {
    token['project'] = claims.project;
    token['is_domain'] = false;
    token['is_admin_project'] = claims.is_admin_project ?? false;
  }
  if (claims.domain) {
    token['domain'] = claims.domain;
  }
  if (claims.system) {
    token['system'] = { all: true };
  }
  if (claims.project || claims.domain || claims.system) {
    token['roles'] = claims.roles;
  }
  if (claims.application_credential) {
    token['application_credential'] = claims.application_credential;
  }
  if (catalog && (claims.project || claims.domain || claims.system)) {
    token['catalog'] = catalogFor(catalog, claims.project?.id);
  }
  return { token };
}

const PROJECT_PLACEHOLDER = /\$\((project_id|tenant_id)\)s|%\((project_id|tenant_id)\)s/g;

/** Endpoint URLs naming the project (Cinder's `/v3/$(project_id)s`) get the token's; without a project they are left out, as Keystone does. */
export function catalogFor(catalog: CatalogEntry[], projectId: string | undefined): CatalogEntry[] {
  return catalog.map((service) => ({
    ...service,
    endpoints: service.endpoints
      .filter((endpoint) => projectId !== undefined || endpoint.url.search(PROJECT_PLACEHOLDER) === -1)
      .map((endpoint) => ({ ...endpoint, url: projectId === undefined ? endpoint.url : endpoint.url.replace(PROJECT_PLACEHOLDER, projectId) })),
  }));
}
