import { type FlavorEntity } from '@overcast/compute/data-access';
import { OpenStackError } from '@overcast/shared/core';
import { type ComputeSettings } from '../compute.config';
import { type Caller } from '../common/caller';
import { type FlavorScope, type FlavorsRepository } from './flavors.repository';
import { FlavorsService } from './flavors.service';

describe('FlavorsService.findForBoot', () => {
  const flavors: Record<string, Partial<FlavorEntity>> = { small: { id: 'small', disabled: false }, off: { id: 'off', disabled: true } };
  const lookups: [FlavorScope, string][] = [];
  const repository = {
    findVisible: (scope: FlavorScope, id: string) => {
      lookups.push([scope, id]);
      return Promise.resolve((flavors[id] as FlavorEntity | undefined) ?? null);
    },
  } as unknown as FlavorsRepository;
  const service = new FlavorsService(repository, {} as ComputeSettings);
  const caller = { projectId: 'p1', isAdmin: false } as Caller;

  const refusal = async (flavorRef: string) => {
    const error: unknown = await service.findForBoot(caller, flavorRef).then(() => undefined, (thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(OpenStackError);
    return { status: (error as OpenStackError).status, message: (error as OpenStackError).message };
  };

  it('takes an id, or the last path segment of a URL, in the caller’s view', async () => {
    await expect(service.findForBoot(caller, 'small')).resolves.toMatchObject({ id: 'small' });
    await expect(service.findForBoot(caller, 'http://compute:8774/v2.1/flavors/small?x=1')).resolves.toMatchObject({ id: 'small' });
    await expect(service.findForBoot(caller, 'http://compute:8774/flavors/small')).resolves.toMatchObject({ id: 'small' });
    expect(lookups.every(([scope, id]) => scope === caller && id === 'small')).toBe(true);
  });

  it('is Nova’s 400 for a flavor the caller cannot use', async () => {
    expect(await refusal('-1')).toEqual({ status: 400, message: 'Flavor -1 could not be found.' });
    expect(await refusal('http://compute/v2.1/flavors/missing')).toEqual({ status: 400, message: 'Flavor missing could not be found.' });
    expect(await refusal('off')).toEqual({ status: 400, message: 'Flavor off could not be found.' });
  });
});
