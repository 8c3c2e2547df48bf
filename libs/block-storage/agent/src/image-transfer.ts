import { type ImageReference, type UploadToImageRequest } from '@overcast/block-storage/contracts';
import { type ImageSink, type ImageSource } from '@overcast/block-storage/drivers';
import { deleteImage as deleteImageOnService, downloadImageData, uploadImageData } from '@overcast/shared/core';

/** An image for a driver to read: its data comes from the image service, with the requester's token, when the driver opens it. */
export function imageSource(image: ImageReference, authToken: string | undefined): ImageSource {
  return {
    id: image.id,
    size: image.size,
    diskFormat: image.diskFormat,
    locations: image.locations,
    open: () => downloadImageData(image.fileUrl, authToken, `downloading image ${image.id}`),
  };
}

/** Where a driver streams a volume's data to: a PUT of the image's data to the image service. */
export function imageSink(request: UploadToImageRequest): ImageSink {
  return {
    diskFormat: request.diskFormat,
    upload: (data) => uploadImageData(request.fileUrl, request.authToken, data, `uploading volume ${request.volume.id} to image ${request.imageId}`),
  };
}

/** Removes the image an upload was for; best effort, as the upload's own failure is what the user must see. */
export async function deleteImage(request: UploadToImageRequest): Promise<void> {
  await deleteImageOnService(request.fileUrl, request.authToken);
}
