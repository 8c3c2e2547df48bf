import { BLOCK_STORAGE_MIGRATIONS } from '@overcast/block-storage/data-access';
import { COMPUTE_MIGRATIONS } from '@overcast/compute/data-access';
import { IDENTITY_MIGRATIONS } from '@overcast/identity/data-access';
import { IMAGE_MIGRATIONS } from '@overcast/image/data-access';
import { NETWORK_MIGRATIONS } from '@overcast/network/data-access';
import { type ServiceName } from '@overcast/overcast/runtime';
import { expandContractViolations, type MigrationClass } from '@overcast/shared/db';
import { createTestDatabase } from '@overcast/shared/testing';

/** What `overcast db sync <service>` applies. */
const MIGRATIONS: Record<ServiceName, readonly MigrationClass[]> = {
  identity: IDENTITY_MIGRATIONS,
  compute: COMPUTE_MIGRATIONS,
  image: IMAGE_MIGRATIONS,
  network: NETWORK_MIGRATIONS,
  'block-storage': BLOCK_STORAGE_MIGRATIONS,
};

// The previous release's APIs run while `db sync` applies these (docs/operator-guide.md, Upgrade).
describe.each(Object.entries(MIGRATIONS))('the %s migrations', (_service, migrations) => {
  it('only expand the schema, or declare their contract and why the previous release no longer needs what it changes', async () => {
    const database = await createTestDatabase();
    try {
      expect(await expandContractViolations(database.url, migrations)).toEqual([]);
    } finally {
      await database.drop();
    }
  });
});
