export * from './compute.config';
export * from './compute.module';
export * from './compute.runner';
