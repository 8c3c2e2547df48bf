import { type HostCommands } from './host-commands';
import { listLinks } from './links';
import { deleteNamespace } from './namespaces';
import { type NamespacePlugger } from './namespace-plugger';

/** Unplugs the legs in `namespace` named with one of `prefixes` that are not in `keep`. */
export async function unplugOtherLegs(
  commands: HostCommands,
  plugger: NamespacePlugger,
  namespace: string,
  prefixes: readonly string[],
  keep: ReadonlySet<string>,
): Promise<void> {
  for (const link of await listLinks(commands, namespace)) {
    if (prefixes.some((prefix) => link.name.startsWith(prefix)) && !keep.has(link.name)) {
      await plugger.unplug(namespace, link.name);
    }
  }
}

/** Unplugs every leg of a namespace (the L2 driver may hold their other ends) and deletes it. */
export async function removeNamespaceWithLegs(commands: HostCommands, plugger: NamespacePlugger, namespace: string, prefixes: readonly string[]): Promise<void> {
  await unplugOtherLegs(commands, plugger, namespace, prefixes, new Set());
  await deleteNamespace(commands, namespace);
}

/** What became of one port's leg in a namespace: plugged, or why not. */
export interface LegOutcome {
  portId: string;
  failure?: string;
}
