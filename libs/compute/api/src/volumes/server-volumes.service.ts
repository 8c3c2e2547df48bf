import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type Connector } from '@overcast/block-storage/contracts';
import { BlockDeviceMappingEntity, type ComputeNodeEntity, type InstanceEntity } from '@overcast/compute/data-access';
import { badRequest } from '@overcast/shared/core';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { VolumeClient } from '../clients/volume-client';
import { type RequestedVolume } from '../servers/server-request';


/** What a compute host tells block storage about itself (os-brick's connector properties). */
export function hostConnector(node: ComputeNodeEntity): Connector {
  return { host: node.host, ip: node.inventory?.hostIp ?? '127.0.0.1', platform: node.inventory?.cpuArch ?? 'x86_64', os_type: 'linux', multipath: false };
}

/**
 * The next device a volume gets: `vdb`, `vdc`… (`vda` is the root disk; the hypervisor keeps
 * `vdx`–`vdz` for the ephemeral and swap disks and the config drive).
 */
export function nextDeviceName(taken: string[]): string {
  for (const letter of 'bcdefghijklmnopqrstuvw') {
    const name = `vd${letter}`;
    if (!taken.includes(name)) {
      return name;
    }
  }
  throw badRequest('The server has no free device name left for another volume.');
}

/**
 * A server's volumes, through block storage's attachments as Nova uses them: reserved when the
 * server is asked for (or the attach is), connected with its host's connector once it has one,
 * completed once the hypervisor has the disk, and deleted to detach.
 */
@Injectable()
export class ServerVolumesService {
  private readonly logger = new Logger('compute');

  constructor(
    @InjectDataSource('compute') private readonly dataSource: DataSource,
    private readonly volumes: VolumeClient,
  ) {}

  /** Checks the volumes a create names: they exist, the requester sees them, and they are free. */
  async checkForBoot(token: string, projectId: string, requested: RequestedVolume[]): Promise<void> {
    for (const volume of requested) {
      const found = await this.volumes.volume(token, projectId, volume.volumeId);
      if (!found) {
        throw badRequest(`Block Device Mapping is Invalid: failed to get volume ${volume.volumeId}.`);
      }
      if (found.status !== 'available' && !(found.multiattach && found.status === 'in-use')) {
        throw badRequest(`Invalid volume: volume ${volume.volumeId} status must be 'available', not '${found.status}'.`);
      }
    }
  }

  /** Records the mappings of a new instance, in its transaction: the boot volume is `vda`, the others `vdb`… */
  async recordForBoot(manager: EntityManager, instanceId: string, requested: RequestedVolume[]): Promise<void> {
    const taken: string[] = [];
    for (const volume of [...requested].sort((a, b) => (a.bootIndex ?? 99) - (b.bootIndex ?? 99))) {
      const deviceName = volume.bootIndex === 0 ? 'vda' : nextDeviceName(taken);
      taken.push(deviceName);
      await manager.insert(BlockDeviceMappingEntity, {
        id: randomUUID(),
        instanceId,
        volumeId: volume.volumeId,
        attachmentId: null,
        deviceName,
        bootIndex: volume.bootIndex,
        deleteOnTermination: volume.deleteOnTermination,
        tag: volume.tag ?? null,
        connectionInfo: null,
      });
    }
  }

  /** Reserves and connects each of the instance's volumes to the host it builds on. */
  async connectForBuild(instance: InstanceEntity, node: ComputeNodeEntity, token: string): Promise<BlockDeviceMappingEntity[]> {
    const mappings = await this.mappingsOf(instance.id);
    for (const mapping of mappings) {
      if (mapping.attachmentId === null) {
        // Saved at once: should connecting fail, the reservation is still released with the rest.
        mapping.attachmentId = (await this.volumes.reserve(token, instance.projectId, mapping.volumeId, instance.id)).id;
        await this.dataSource.manager.save(mapping);
      }
      mapping.connectionInfo = await this.volumes.connect(token, instance.projectId, mapping.attachmentId, hostConnector(node));
      await this.dataSource.manager.save(mapping);
    }
    return mappings;
  }

  /** Marks the volumes in use once the guest runs with them. */
  async complete(instance: InstanceEntity, token: string, mappings?: BlockDeviceMappingEntity[]): Promise<void> {
    for (const mapping of mappings ?? (await this.mappingsOf(instance.id))) {
      if (mapping.attachmentId !== null) {
        await this.volumes.complete(token, instance.projectId, mapping.attachmentId);
      }
    }
  }

  /** Reserves and connects one more volume for an instance on its host: the mapping, ready to hand to the host. */
  async attach(instance: InstanceEntity, node: ComputeNodeEntity, token: string, volumeId: string): Promise<BlockDeviceMappingEntity> {
    const volume = await this.volumes.volume(token, instance.projectId, volumeId);
    if (!volume) {
      throw badRequest(`Volume ${volumeId} could not be found.`);
    }
    const mappings = await this.mappingsOf(instance.id);
    if (mappings.some((mapping) => mapping.volumeId === volumeId)) {
      throw badRequest(`Invalid volume: volume ${volumeId} is already attached to instance ${instance.id}.`);
    }
    const attachment = await this.volumes.reserve(token, instance.projectId, volumeId, instance.id);
    try {
      const mapping: BlockDeviceMappingEntity = this.dataSource.manager.create(BlockDeviceMappingEntity, {
        id: randomUUID(),
        instanceId: instance.id,
        volumeId,
        attachmentId: attachment.id,
        deviceName: nextDeviceName(mappings.map((existing) => existing.deviceName)),
        bootIndex: null,
        deleteOnTermination: false,
        tag: null,
        connectionInfo: await this.volumes.connect(token, instance.projectId, attachment.id, hostConnector(node)),
      });
      return await this.dataSource.manager.save(mapping);
    } catch (error) {
      await this.volumes.release(token, instance.projectId, attachment.id).catch(() => undefined);
      throw error;
    }
  }

  /** Detaches one volume in block storage and forgets its mapping. */
  async detach(instance: InstanceEntity, mapping: BlockDeviceMappingEntity, token: string): Promise<void> {
    if (mapping.attachmentId !== null) {
      await this.volumes.release(token, instance.projectId, mapping.attachmentId);
    }
    await this.dataSource.manager.delete(BlockDeviceMappingEntity, { id: mapping.id });
  }

  /**
   * Detaches every volume of an instance that ends (its build failed, or it is deleted), deleting
   * those it was to take with it when it is deleted. A failure is logged, not thrown: the rest
   * is still released.
   */
  async releaseAll(instance: InstanceEntity, token: string | undefined, deleting: boolean): Promise<void> {
    for (const mapping of await this.mappingsOf(instance.id)) {
      try {
        if (token !== undefined) {
          await this.detach(instance, mapping, token);
          if (deleting && mapping.deleteOnTermination) {
            await this.volumes.deleteVolume(token, instance.projectId, mapping.volumeId);
          }
        } else {
          this.logger.error(`volume ${mapping.volumeId} of instance ${instance.id} stays attached: no requester's token is left to detach it with`);
        }
      } catch (error) {
        this.logger.error(`releasing volume ${mapping.volumeId} of instance ${instance.id} failed: ${String(error)}`);
      }
    }
  }

  mappingsOf(instanceId: string): Promise<BlockDeviceMappingEntity[]> {
    return this.dataSource.manager.find(BlockDeviceMappingEntity, { where: { instanceId }, order: { deviceName: 'ASC' } });
  }
}
