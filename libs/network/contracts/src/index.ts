export * from './host-state';
export * from './agent-protocol';
export * from './events';
