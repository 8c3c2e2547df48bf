import { ImageMemberEntity } from './entities/image-member.entity';
import { ImageEntity } from './entities/image.entity';
import { ImageSchema1764100000000 } from './migrations/1764100000000-ImageSchema';

export * from './entities/image.entity';
export * from './entities/image-member.entity';

export const IMAGE_ENTITIES = [ImageEntity, ImageMemberEntity];

/** In the order they apply; each is safe to run with the previous release's code still serving. */
export const IMAGE_MIGRATIONS = [ImageSchema1764100000000];
