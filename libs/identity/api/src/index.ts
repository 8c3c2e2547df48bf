export * from './identity.config';
export * from './identity.runner';
export * from './bootstrap/bootstrap';
export { KeyRing } from './keys/key-ring';
