import { Controller, Get } from '@nestjs/common';
import { imageSchema, imagesSchema, memberSchema, membersSchema } from './image-schemas';

/**
 * `GET /v2/schemas/{image,images,member,members}` (glance/api/v2/schemas.py, routes in glance/api/v2/router.py).
 * Glance serves them behind the same token check as every /v2 route, and answers other methods with 405
 * (`Allow: GET`) and a GET with a body with 400 "A body is not expected with this request.".
 */
@Controller('v2/schemas')
export class SchemasController {
  @Get('image')
  image() {
    return imageSchema();
  }

  @Get('images')
  images() {
    return imagesSchema();
  }

  @Get('member')
  member() {
    return memberSchema();
  }

  @Get('members')
  members() {
    return membersSchema();
  }
}
