import { type AttachmentEntity, type VolumeEntity } from '@overcast/block-storage/data-access';
import { type View } from '../common/cinder-list';
import { resourceLinks } from '../common/links';

/** What a volume's view needs beyond its row. */
export interface VolumeViewContext {
  attachments: readonly AttachmentEntity[];
  typeName: string;
  /** `…/v3/<project>`, for the links. */
  projectUrl: string;
  /** Whether the caller sees where the volume lives (`os-vol-host-attr:host`, migration attributes). */
  showHost: boolean;
  /**
   * Whether the answer carries the attributes Cinder's API extensions add (tenant, host, migration,
   * image metadata): they decorate show and list, not create and update.
   */
  extended: boolean;
}

/** An attachment as a volume lists it (Cinder's `attachments` entries). */
function attachmentSummary(attachment: AttachmentEntity) {
  return {
    id: attachment.volumeId,
    attachment_id: attachment.id,
    volume_id: attachment.volumeId,
    server_id: attachment.instanceUuid,
    host_name: attachment.attachedHost,
    device: attachment.mountpoint,
    attached_at: attachment.attachTime?.toISOString() ?? null,
  };
}

/** Cinder's detailed volume view (cinder/api/v3/views/volumes.py), as of 3.x. */
export function volumeView(volume: VolumeEntity, context: VolumeViewContext): View {
  return {
    id: volume.id,
    name: volume.name,
    description: volume.description,
    size: volume.size,
    status: volume.status,
    availability_zone: volume.availabilityZone,
    created_at: volume.createdAt.toISOString(),
    updated_at: volume.updatedAt.toISOString(),
    attachments: context.attachments.filter((attachment) => attachment.status === 'attached').map(attachmentSummary),
    links: resourceLinks(context.projectUrl, 'volumes', volume.id),
    metadata: volume.readOnly === null ? volume.metadata : { ...volume.metadata, readonly: volume.readOnly ? 'True' : 'False' },
    // Cinder writes these two as strings.
    bootable: String(volume.bootable),
    encrypted: false,
    multiattach: volume.multiattach,
    replication_status: null,
    consistencygroup_id: null,
    snapshot_id: volume.snapshotId,
    source_volid: volume.sourceVolid,
    user_id: volume.userId,
    volume_type: context.typeName,
    ...(context.extended ? extendedAttributes(volume, context.showHost) : {}),
  };
}

function extendedAttributes(volume: VolumeEntity, showHost: boolean): View {
  return {
    'os-vol-tenant-attr:tenant_id': volume.projectId,
    ...(volume.imageMetadata === null ? {} : { volume_image_metadata: volume.imageMetadata }),
    ...(showHost
      ? {
          'os-vol-host-attr:host': volume.host,
          'os-vol-mig-status-attr:migstat': volume.migrationStatus,
          'os-vol-mig-status-attr:name_id': null,
        }
      : {}),
  };
}
