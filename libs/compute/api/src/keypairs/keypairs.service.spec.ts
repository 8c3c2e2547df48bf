import { type KeypairEntity } from '@overcast/compute/data-access';
import { type ComputeSettings } from '../compute.config';
import { type Caller } from '../common/caller';
import { type KeypairsRepository } from './keypairs.repository';
import { KeypairsService } from './keypairs.service';

describe('KeypairsService.findForBoot', () => {
  const repository = {
    find: (userId: string, name: string) => Promise.resolve(userId === 'alice' && name === 'laptop' ? ({ userId, name } as KeypairEntity) : null),
  } as unknown as KeypairsRepository;
  const service = new KeypairsService(repository, {} as ComputeSettings);

  it('finds the caller’s own keypair by name', async () => {
    await expect(service.findForBoot({ userId: 'alice' } as Caller, 'laptop')).resolves.toMatchObject({ name: 'laptop' });
  });

  it('is Nova’s 400 for a name the caller has no keypair of', async () => {
    await expect(service.findForBoot({ userId: 'bob' } as Caller, 'laptop')).rejects.toMatchObject({ status: 400, message: 'Invalid key_name provided.' });
    await expect(service.findForBoot({ userId: 'alice' } as Caller, 'nothing')).rejects.toMatchObject({ status: 400, message: 'Invalid key_name provided.' });
  });
});
