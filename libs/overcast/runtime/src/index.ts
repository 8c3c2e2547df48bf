export * from './aio';
export * from './serve';
export * from './services';
