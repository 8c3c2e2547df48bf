export * from './agent-protocol';
export * from './instance-data';
