import { runTool as runSharedTool, type RunToolOptions } from '@overcast/shared/qemu';

export { firstLine } from '@overcast/shared/qemu';

/** Where the host tools beyond qemu-img come from, for the message when one is missing. */
const PACKAGES: Record<string, string> = {
  virsh: 'libvirt-clients',
  'qemu-system-x86_64': 'qemu-system-x86',
  genisoimage: 'genisoimage',
};

/** The shared runner, knowing this driver's tools' packages. */
export function runTool(command: string, args: readonly string[], failure: string, options: Omit<RunToolOptions, 'package'> = {}): Promise<string> {
  return runSharedTool(command, args, failure, { ...options, package: PACKAGES[command] });
}
