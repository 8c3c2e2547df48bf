export * from './compute-agent.config';
export * from './compute-agent';
export * from './run-compute-agent';
