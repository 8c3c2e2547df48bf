export * from './qemu-img';
export * from './run-tool';
export * from './upload-file';
