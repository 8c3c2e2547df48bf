export * from './agent-protocol';
export * from './volume-data';
