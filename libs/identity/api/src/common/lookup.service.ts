import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DomainEntity, ProjectEntity, UserEntity } from '@overcast/identity/data-access';
import { Repository } from 'typeorm';
import { type DomainRef } from '../tokens/auth-request.schema';

/** Finds domains, projects and users the ways requests name them: by id, or by name within a domain. */
@Injectable()
export class LookupService {
  constructor(
    @InjectRepository(DomainEntity, 'identity') readonly domains: Repository<DomainEntity>,
    @InjectRepository(ProjectEntity, 'identity') readonly projects: Repository<ProjectEntity>,
    @InjectRepository(UserEntity, 'identity') readonly users: Repository<UserEntity>,
  ) {}

  findDomain(ref: DomainRef): Promise<DomainEntity | null> {
    return ref.id !== undefined ? this.domains.findOneBy({ id: ref.id }) : this.domains.findOneBy({ name: ref.name });
  }

  async findInDomain<T extends ProjectEntity | UserEntity>(
    repository: Repository<T>,
    ref: { id?: string; name?: string; domain?: DomainRef },
  ): Promise<T | null> {
    if (ref.id !== undefined) {
      return repository.findOneBy({ id: ref.id } as never);
    }
    const domain = ref.domain ? await this.findDomain(ref.domain) : null;
    if (!domain || ref.name === undefined) {
      return null;
    }
    return repository.findOneBy({ name: ref.name, domainId: domain.id } as never);
  }
}
