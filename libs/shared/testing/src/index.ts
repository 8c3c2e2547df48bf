export * from './api-client';
export * from './eventually';
export * from './jwt';
export * from './temp-dir';
export * from './test-database';
