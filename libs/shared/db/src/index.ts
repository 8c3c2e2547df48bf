export * from './database';
export * from './unique-violation';
