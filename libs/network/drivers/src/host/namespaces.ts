import { type HostCommands } from './host-commands';

/** The machine's named network namespaces (`ip netns`) whose names start with `prefix`. */
export async function listNamespaces(commands: HostCommands, prefix: string): Promise<string[]> {
  const output = await commands.runOnMachine('ip', ['-j', 'netns', 'list']);
  // With no namespace at all, `ip -j netns list` prints nothing rather than `[]`.
  const namespaces = output.trim() === '' ? [] : (JSON.parse(output) as { name: string }[]);
  return namespaces.map(({ name }) => name).filter((name) => name.startsWith(prefix));
}

/** Creates the namespace unless it exists, with its loopback up. */
export async function ensureNamespace(commands: HostCommands, name: string): Promise<void> {
  if ((await listNamespaces(commands, name)).includes(name)) {
    return;
  }
  await commands.runOnMachine('ip', ['netns', 'add', name]);
  await commands.runOnMachine('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

export async function deleteNamespace(commands: HostCommands, name: string): Promise<void> {
  if ((await listNamespaces(commands, name)).includes(name)) {
    await commands.runOnMachine('ip', ['netns', 'delete', name]);
  }
}
