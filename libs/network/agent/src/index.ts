export * from './network-agent.config';
export * from './network-agent';
export * from './run-network-agent';
