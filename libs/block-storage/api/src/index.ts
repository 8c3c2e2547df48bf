export * from './block-storage.config';
export * from './block-storage.module';
