export * from './volume-agent.config';
export * from './volume-agent';
export * from './run-volume-agent';
