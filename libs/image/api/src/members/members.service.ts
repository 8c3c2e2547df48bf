import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type ImageEntity, ImageMemberEntity, type MemberStatus } from '@overcast/image/data-access';
import { type AuthContext, PolicyService } from '@overcast/shared/auth';
import { conflict, forbidden, notFound } from '@overcast/shared/core';
import { Repository } from 'typeorm';
import { glanceTime } from '../images/image-view';
import { ImagesService, viewerOf } from '../images/images.service';

export function memberView(member: ImageMemberEntity) {
  return {
    image_id: member.imageId,
    member_id: member.member,
    status: member.status,
    created_at: glanceTime(member.createdAt),
    updated_at: glanceTime(member.updatedAt),
    schema: '/v2/schemas/member',
  };
}

/**
 * Glance's sharing rules: only a `shared` image has members; its owner adds and removes them; a
 * member project accepts or rejects (and only it); the owner and the members see the list, a
 * member only its own entry.
 */
@Injectable()
export class MembersService {
  constructor(
    @InjectRepository(ImageMemberEntity, 'image') private readonly members: Repository<ImageMemberEntity>,
    private readonly images: ImagesService,
    private readonly policy: PolicyService,
  ) {}

  async add(auth: AuthContext, imageId: string, member: string): Promise<ImageMemberEntity> {
    const image = await this.images.changeable(auth, imageId, 'add_member');
    this.assertOwnedOrAdmin(auth, image);
    if (image.visibility !== 'shared') {
      throw forbidden(`Not allowed to create members for image ${image.id}.`);
    }
    if (await this.members.existsBy({ imageId: image.id, member })) {
      throw conflict(`Member ${member} is duplicated for image ${image.id}`);
    }
    const now = new Date();
    const entry = this.members.create({ imageId: image.id, member, status: 'pending', createdAt: now, updatedAt: now });
    await this.members.insert(entry);
    return entry;
  }

  async list(auth: AuthContext, imageId: string): Promise<ImageMemberEntity[]> {
    this.policy.enforce('get_members', auth);
    const image = await this.images.visible(auth, imageId);
    if (image.visibility !== 'shared') {
      throw forbidden(`Not allowed to list members for image ${image.id}: Only shared images have members.`);
    }
    const all = await this.members.find({ where: { imageId: image.id }, order: { createdAt: 'ASC' } });
    return this.isOwnerOrAdmin(auth, image) ? all : all.filter((entry) => entry.member === auth.projectId);
  }

  async get(auth: AuthContext, imageId: string, member: string): Promise<ImageMemberEntity> {
    this.policy.enforce('get_member', auth);
    const image = await this.images.visible(auth, imageId);
    const entry = await this.members.findOneBy({ imageId: image.id, member });
    if (!entry || (!this.isOwnerOrAdmin(auth, image) && member !== auth.projectId)) {
      throw notFound(`Member ${member} not found for image ${image.id}`);
    }
    return entry;
  }

  async setStatus(auth: AuthContext, imageId: string, member: string, status: MemberStatus): Promise<ImageMemberEntity> {
    const image = await this.images.visible(auth, imageId);
    const entry = await this.members.findOneBy({ imageId: image.id, member });
    if (!entry) {
      throw notFound(`Member ${member} not found for image ${image.id}`);
    }
    this.policy.enforce('modify_member', auth, { member_id: member, owner: image.owner ?? '' });
    entry.status = status;
    entry.updatedAt = new Date();
    await this.members.save(entry);
    return entry;
  }

  async remove(auth: AuthContext, imageId: string, member: string): Promise<void> {
    const image = await this.images.changeable(auth, imageId, 'delete_member');
    this.assertOwnedOrAdmin(auth, image);
    const { affected } = await this.members.delete({ imageId: image.id, member });
    if (!affected) {
      throw notFound(`Member ${member} not found for image ${image.id}`);
    }
  }

  private isOwnerOrAdmin(auth: AuthContext, image: ImageEntity): boolean {
    return image.owner === auth.projectId || viewerOf(auth, this.policy).isAdmin;
  }

  /** A member sees the image but may not manage its members: that is a 403, as in Glance. */
  private assertOwnedOrAdmin(auth: AuthContext, image: ImageEntity): void {
    if (!this.isOwnerOrAdmin(auth, image)) {
      throw forbidden(`You are not permitted to modify the members of image ${image.id}.`);
    }
  }
}
