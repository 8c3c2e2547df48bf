import { randomBytes } from 'node:crypto';
import { type ApiClient, type Json } from '@overcast/shared/testing';

/** Names no other test uses, so tests share a service without seeing each other's rows. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

async function created(admin: ApiClient, path: string, body: object, key: string): Promise<Json> {
  const response = await admin.post(path, body);
  if (response.status !== 201) {
    throw new Error(`POST ${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
  }
  return response.body[key];
}

export const createDomain = (admin: ApiClient, fields: object = {}) => created(admin, '/v3/domains', { domain: { name: uniqueName('domain'), ...fields } }, 'domain');
export const createProject = (admin: ApiClient, fields: object = {}) => created(admin, '/v3/projects', { project: { name: uniqueName('project'), ...fields } }, 'project');
export const createUser = (admin: ApiClient, fields: object = {}) => created(admin, '/v3/users', { user: { name: uniqueName('user'), ...fields } }, 'user');
export const createGroup = (admin: ApiClient, fields: object = {}) => created(admin, '/v3/groups', { group: { name: uniqueName('group'), ...fields } }, 'group');
export const createRole = (admin: ApiClient, fields: object = {}) => created(admin, '/v3/roles', { role: { name: uniqueName('role'), ...fields } }, 'role');

export async function roleId(admin: ApiClient, name: string): Promise<string> {
  const response = await admin.get(`/v3/roles?name=${name}`);
  return response.body.roles[0].id as string;
}

/** PUT /v3/{projects|domains}/{id}/{users|groups}/{id}/roles/{role}, or /v3/system/… when the target is 'system'. */
export async function grant(admin: ApiClient, target: string, actor: string, role: string): Promise<void> {
  const path = target === 'system' ? `/v3/system/${actor}/roles/${role}` : `/v3/${target}/${actor}/roles/${role}`;
  const response = await admin.put(path);
  if (response.status !== 204) {
    throw new Error(`PUT ${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
  }
}

/** A user with a password and the given role on a new project (or the one given). */
export async function projectMember(admin: ApiClient, options: { role?: string; projectId?: string; domainId?: string } = {}) {
  const password = randomBytes(9).toString('base64url');
  const project = options.projectId ? { id: options.projectId } : await createProject(admin, options.domainId ? { domain_id: options.domainId } : {});
  const user = await createUser(admin, { password, ...(options.domainId ? { domain_id: options.domainId } : {}) });
  await grant(admin, `projects/${project.id}`, `users/${user.id}`, options.role ?? (await roleId(admin, 'member')));
  return { user, project, password };
}
