export * from './image-store';
export * from './file/file-store';
export * from './rbd/rbd-store';
export * from './registry';
