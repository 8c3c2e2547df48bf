export * from './network.config';
export * from './network.module';
export * from './network.runner';
