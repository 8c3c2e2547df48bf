export * from './api-client';
export * from './auth-requests';
export * from './eventually';
export * from './jwt';
export * from './ports';
export * from './temp-dir';
export * from './test-database';
