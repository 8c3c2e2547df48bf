/** DI token of the validated identity settings. */
export const IDENTITY_SETTINGS = Symbol('IDENTITY_SETTINGS');
