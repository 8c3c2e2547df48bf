export * from './compute.config';
export * from './compute.module';
