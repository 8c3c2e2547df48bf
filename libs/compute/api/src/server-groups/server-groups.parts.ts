import { type Provider, type Type } from '@nestjs/common';
import { InterfacesController } from '../interfaces/interfaces.controller';
import { InterfacesService } from '../interfaces/interfaces.service';
import { ServerGroupsController } from './server-groups.controller';
import { ServerGroupsRepository } from './server-groups.repository';
import { ServerGroupsService } from './server-groups.service';

/** Server groups and server interfaces, for the module. */
export const SERVER_GROUP_CONTROLLERS: Type[] = [ServerGroupsController, InterfacesController];
export const SERVER_GROUP_PROVIDERS: Provider[] = [ServerGroupsRepository, ServerGroupsService, InterfacesService];
