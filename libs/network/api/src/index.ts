export * from './network.config';
export * from './network.module';
