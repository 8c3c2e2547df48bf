import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { type AuthContext, CurrentAuth } from '@overcast/shared/auth';
import { parseInput } from '@overcast/shared/core';
import { z } from 'zod';
import { memberView, MembersService } from './members.service';

const addSchema = z.object({ member: z.string({ error: 'Member to be added not specified' }).min(1, "Member can't be empty").max(255) });
const statusSchema = z.object({ status: z.enum(['pending', 'accepted', 'rejected'], { error: 'Incorrect request: Status must be "pending", "accepted" or "rejected".' }) });

/** Sharing an image with other projects, and their answer (Glance's image members). */
@Controller('v2/images/:imageId/members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Post()
  async add(@CurrentAuth() auth: AuthContext, @Param('imageId') imageId: string, @Body() body: unknown) {
    return memberView(await this.members.add(auth, imageId, parseInput(addSchema, body).member));
  }

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Param('imageId') imageId: string) {
    return { members: (await this.members.list(auth, imageId)).map(memberView), schema: '/v2/schemas/members' };
  }

  @Get(':member')
  async show(@CurrentAuth() auth: AuthContext, @Param('imageId') imageId: string, @Param('member') member: string) {
    return memberView(await this.members.get(auth, imageId, member));
  }

  @Put(':member')
  async update(@CurrentAuth() auth: AuthContext, @Param('imageId') imageId: string, @Param('member') member: string, @Body() body: unknown) {
    return memberView(await this.members.setStatus(auth, imageId, member, parseInput(statusSchema, body).status));
  }

  @Delete(':member')
  @HttpCode(204)
  async remove(@CurrentAuth() auth: AuthContext, @Param('imageId') imageId: string, @Param('member') member: string): Promise<void> {
    await this.members.remove(auth, imageId, member);
  }
}
