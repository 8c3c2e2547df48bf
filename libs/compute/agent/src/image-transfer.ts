import { type MigrateDisksRequest, type MigratingDisk, type SnapshotRequest } from '@overcast/compute/contracts';
import { type ImageFetcher, type ImageSink } from '@overcast/compute/drivers';
import { downloadImageData, uploadImageData } from '@overcast/shared/core';

/** Where a driver reads an instance's images (root disk, kernel, ramdisk) from: the image service, with the requester's token. */
export function imageFetcher(authToken: string | undefined): ImageFetcher {
  return { open: (image) => downloadImageData(image.fileUrl, authToken, `downloading image ${image.id}`) };
}

/** Where a driver streams a snapshot to: a PUT of the image's data to the image service. */
export function snapshotSink(request: SnapshotRequest): ImageSink {
  return {
    diskFormat: request.diskFormat,
    upload: (data) => uploadImageData(request.fileUrl, request.authToken, data, `uploading a snapshot of instance ${request.instance.id} to image ${request.imageId}`),
  };
}

/** Where a moving instance's disks go for another host: each to the image made for it, in qcow2. */
export function migrationSinks(request: MigrateDisksRequest): Map<MigratingDisk, ImageSink> {
  return new Map(
    (request.uploads ?? []).map(({ disk, imageId, fileUrl }) => [
      disk,
      { diskFormat: 'qcow2', upload: (data) => uploadImageData(fileUrl, request.authToken, data, `uploading the ${disk} disk of instance ${request.instance.id} to image ${imageId}`) },
    ]),
  );
}
