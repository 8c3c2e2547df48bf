/** The validated `compute` settings, for injection. */
export const COMPUTE_SETTINGS = Symbol('COMPUTE_SETTINGS');
