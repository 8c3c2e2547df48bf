import { AgentCommands } from '../agents/agent-commands';
import { ComputeAgents } from '../agents/compute-agents';
import { ImageClient } from '../clients/image-client';
import { ImagesController } from '../images/images.controller';
import { ImagesService } from '../images/images.service';
import { SecurityGroupsController, ServerSecurityGroupsController } from '../security-groups/security-groups.controller';
import { SecurityGroupsService } from '../security-groups/security-groups.service';
import { NetworkClient } from '../clients/network-client';
import { InstanceActionsService } from '../instances/instance-actions.service';
import { InstanceLifecycle } from '../instances/instance-lifecycle';
import { InstanceMigrations } from '../instances/instance-migrations';
import { ComputeHostsService } from '../scheduler/compute-hosts.service';
import { SchedulerService } from '../scheduler/scheduler.service';
import { ServerActionsController } from './server-actions.controller';
import { ServerIpsController } from './server-ips.controller';
import { ServerMetadataController } from './server-metadata.controller';
import { ServerMetadataService } from './server-metadata.service';
import { ServerActionsService } from './server-actions.service';
import { ServersController } from './servers.controller';
import { ServersService } from './servers.service';
import { VolumeClient } from '../clients/volume-client';
import { ServerVolumesService } from '../volumes/server-volumes.service';
import { VolumeAttachmentsController } from '../volumes/volume-attachments.controller';
import { VolumeAttachmentsService } from '../volumes/volume-attachments.service';

/** Servers with their build orchestration, the scheduler and the agents' protocol, for the module. */
export const SERVER_CONTROLLERS = [ServerActionsController, VolumeAttachmentsController, ServersController, ImagesController, SecurityGroupsController, ServerSecurityGroupsController, ServerMetadataController, ServerIpsController];
export const SERVER_PROVIDERS = [
  ImageClient,
  ImagesService,
  SecurityGroupsService,
  NetworkClient,
  AgentCommands,
  ComputeHostsService,
  SchedulerService,
  InstanceActionsService,
  InstanceLifecycle,
  InstanceMigrations,
  ComputeAgents,
  ServersService,
  ServerActionsService,
  ServerMetadataService,
  VolumeClient,
  ServerVolumesService,
  VolumeAttachmentsService,
];
