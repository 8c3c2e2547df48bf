/** DI token of the validated NetworkSettings. */
export const NETWORK_SETTINGS = Symbol('NETWORK_SETTINGS');
