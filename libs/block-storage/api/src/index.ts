export * from './block-storage.config';
export * from './block-storage.module';
export * from './block-storage.runner';
