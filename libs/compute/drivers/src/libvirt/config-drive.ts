import { type ConfigDriveSpec } from '@overcast/compute/contracts';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from './command';

/**
 * Makes Nova's config drive at `target`: an ISO9660 image labelled `config-2` (what cloud-init
 * looks for) holding `openstack/latest/{meta_data.json,network_data.json,user_data}`, with
 * Rock Ridge and Joliet names as Nova writes them. The user data arrives base64-encoded from the
 * API and is stored decoded. Staged in a scratch directory beside `target`, removed either way.
 */
export async function makeConfigDrive(spec: ConfigDriveSpec, target: string, scratchParent: string): Promise<void> {
  const staging = await mkdtemp(join(scratchParent, '.config-drive-'));
  try {
    const latest = join(staging, 'openstack', 'latest');
    await mkdir(latest, { recursive: true });
    await writeFile(join(latest, 'meta_data.json'), JSON.stringify(spec.metaData));
    await writeFile(join(latest, 'network_data.json'), JSON.stringify(spec.networkData));
    if (spec.userData !== undefined) {
      await writeFile(join(latest, 'user_data'), Buffer.from(spec.userData, 'base64'));
    }
    await runTool(
      'genisoimage',
      ['-o', target, '-ldots', '-allow-lowercase', '-allow-multidot', '-l', '-publisher', 'Overcast', '-quiet', '-J', '-r', '-V', 'config-2', staging],
      'could not make the config drive',
    );
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
