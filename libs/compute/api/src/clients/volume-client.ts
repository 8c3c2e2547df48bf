import { Inject, Injectable } from '@nestjs/common';
import { type ConnectionInfo, type Connector } from '@overcast/block-storage/contracts';
import { badRequest, errorMessageOf, OpenStackError, ServiceClient, type ServiceResponse } from '@overcast/shared/core';
import { type ComputeSettings } from '../compute.config';
import { COMPUTE_SETTINGS } from '../compute.tokens';

/** The fields of a Cinder volume this service reads. */
export interface CinderVolume {
  id: string;
  status: string;
  size: number;
  multiattach: boolean;
  bootable: string;
}

export interface CinderAttachment {
  id: string;
  volume_id: string;
  status: string;
  connection_info?: ConnectionInfo | null;
}

/** The attachments API (Cinder 3.27, completed by os-complete at 3.44), as Nova uses it. */
const ATTACHMENTS_VERSION = { 'OpenStack-API-Version': 'volume 3.44' };

/**
 * The block-storage service's REST API, called with the requester's token in the requester's
 * project: volumes are attached through attachments, as Nova does since Queens (reserve, connect
 * with the host's connector, complete; delete to detach).
 */
@Injectable()
export class VolumeClient {
  private readonly client: ServiceClient;

  constructor(@Inject(COMPUTE_SETTINGS) settings: ComputeSettings) {
    this.client = new ServiceClient('block-storage', settings.blockStorageUrl);
  }

  /** The volume if the requester may see it. */
  async volume(token: string, projectId: string, volumeId: string): Promise<CinderVolume | undefined> {
    const response = await this.client.request('GET', `/v3/${projectId}/volumes/${encodeURIComponent(volumeId)}`, { token });
    return response.status === 404 ? undefined : this.expect<{ volume: CinderVolume }>(response, 'read the volume').volume;
  }

  /** Reserves the volume for the instance; a volume that is not free is Nova's 400. */
  async reserve(token: string, projectId: string, volumeId: string, instanceId: string): Promise<CinderAttachment> {
    const response = await this.client.request('POST', `/v3/${projectId}/attachments`, { token, body: { attachment: { volume_uuid: volumeId, instance_uuid: instanceId } }, ...this.versioned() });
    if (response.status === 400 || response.status === 404 || response.status === 409) {
      throw badRequest(`Invalid volume: ${errorMessageOf(response.body)}`);
    }
    return this.expect<{ attachment: CinderAttachment }>(response, 'reserve the volume').attachment;
  }

  /** Connects the reserved volume to a host: the answer says how the hypervisor reaches it. */
  async connect(token: string, projectId: string, attachmentId: string, connector: Connector): Promise<ConnectionInfo> {
    const response = await this.client.request('PUT', `/v3/${projectId}/attachments/${attachmentId}`, { token, body: { attachment: { connector } }, ...this.versioned() });
    const attachment = this.expect<{ attachment: CinderAttachment }>(response, 'connect the volume').attachment;
    if (!attachment.connection_info) {
      throw new OpenStackError('serviceUnavailable', `Block storage gave no connection for attachment ${attachmentId}.`);
    }
    return attachment.connection_info;
  }

  /** Marks the volume in use, once the hypervisor has it. */
  async complete(token: string, projectId: string, attachmentId: string): Promise<void> {
    const response = await this.client.request('POST', `/v3/${projectId}/attachments/${attachmentId}/action`, { token, body: { 'os-complete': null }, ...this.versioned() });
    this.expect(response, 'complete the attachment');
  }

  /** Detaches: the volume is free again. One already gone is fine. */
  async release(token: string, projectId: string, attachmentId: string): Promise<void> {
    const response = await this.client.request('DELETE', `/v3/${projectId}/attachments/${attachmentId}`, { token, ...this.versioned() });
    if (response.status !== 404) {
      this.expect(response, 'delete the attachment');
    }
  }

  /** Deletes a volume the server was to take with it (`delete_on_termination`). */
  async deleteVolume(token: string, projectId: string, volumeId: string): Promise<void> {
    const response = await this.client.request('DELETE', `/v3/${projectId}/volumes/${volumeId}`, { token });
    if (response.status !== 404) {
      this.expect(response, `delete volume ${volumeId}`);
    }
  }

  private versioned(): { headers: Record<string, string> } {
    return { headers: ATTACHMENTS_VERSION };
  }

  private expect<T>(response: ServiceResponse, what: string): T {
    if (response.status < 200 || response.status >= 300) {
      throw new OpenStackError('serviceUnavailable', `Could not ${what}: the block-storage service answered ${response.status} (${errorMessageOf(response.body)}).`);
    }
    return response.body as T;
  }
}
