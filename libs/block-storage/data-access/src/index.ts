import { AttachmentEntity } from './entities/attachment.entity';
import { BackendEntity } from './entities/backend.entity';
import { MessageEntity } from './entities/message.entity';
import { QuotaEntity } from './entities/quota.entity';
import { SnapshotEntity } from './entities/snapshot.entity';
import { VolumeTypeEntity, VolumeTypeProjectEntity } from './entities/volume-type.entity';
import { VolumeEntity } from './entities/volume.entity';
import { BlockStorageSchema1764400000000 } from './migrations/1764400000000-BlockStorageSchema';
import { BackendAgentStart1764500000000 } from './migrations/1764500000000-BackendAgentStart';
import { BackendBusVersion1764600000000 } from './migrations/1764600000000-BackendBusVersion';

export * from './entities/attachment.entity';
export * from './entities/backend.entity';
export * from './entities/message.entity';
export * from './entities/quota.entity';
export * from './entities/snapshot.entity';
export * from './entities/volume-type.entity';
export * from './entities/volume.entity';

export const BLOCK_STORAGE_ENTITIES = [VolumeTypeEntity, VolumeTypeProjectEntity, BackendEntity, VolumeEntity, SnapshotEntity, AttachmentEntity, QuotaEntity, MessageEntity];

/** In the order they apply; each is safe to run with the previous release's code still serving. */
export const BLOCK_STORAGE_MIGRATIONS = [BlockStorageSchema1764400000000, BackendAgentStart1764500000000, BackendBusVersion1764600000000];
