export * from './database';
export * from './unique-violation';
export * from './expand-contract';
