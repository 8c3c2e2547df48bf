export * from './volume-driver';
export * from './fake/fake-volume-driver';
export * from './registry';
export * from './rbd/rbd-volume-driver';
export * from './file/file-volume-driver';
