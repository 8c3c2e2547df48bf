/**
 * The image service's notifications on the bus (Glance's `image.<action>` events, named
 * `<service>.<resource>.<action>` as every Overcast event is). Payload: the image as
 * `GET /v2/images/{id}` shows it. Version 1.0.
 */
export const IMAGE_EVENTS = {
  created: 'image.image.create',
  updated: 'image.image.update',
  uploaded: 'image.image.upload',
  activated: 'image.image.activate',
  deactivated: 'image.image.deactivate',
  reactivated: 'image.image.reactivate',
  deleted: 'image.image.delete',
} as const;
export type ImageEvent = (typeof IMAGE_EVENTS)[keyof typeof IMAGE_EVENTS];
