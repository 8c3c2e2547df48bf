/** Keystone's password authentication of a Default-domain user, scoped to a project of that domain. */
export function passwordAuthRequest(userName: string, password: string, projectName: string) {
  return {
    auth: {
      identity: { methods: ['password'], password: { user: { name: userName, domain: { id: 'default' }, password } } },
      scope: { project: { name: projectName, domain: { id: 'default' } } },
    },
  };
}
