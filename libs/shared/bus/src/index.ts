export {
  MessageBus,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_VERSION,
  MAX_DELIVERIES,
  type BusHandler,
  type BusLogger,
  type BusMessageMeta,
  type BusSubscription,
  type CallOptions,
  type SendOptions,
  type ServeOptions,
} from './message-bus';
export { BusRemoteError, BusTimeoutError, BusUnavailableError, BusUnsupportedVersionError } from './bus.errors';
export { createMessageBus, type MessageBusOptions } from './create-message-bus';
export { BusModule, type BusModuleOptions } from './bus.module';
export { BusContext, BusServer } from './bus.server';
export { loggedWork, type NodeAgent, type RunningNodeAgent, serveNodeAgent, startOnOwnBus } from './run-agent';
export { sendVersion } from './message-envelope';
