/** DI token of the validated BlockStorageSettings. */
export const BLOCK_STORAGE_SETTINGS = Symbol('BLOCK_STORAGE_SETTINGS');
/** This process's host (the common `host` setting): where Cinder's scheduler service says it runs. */
export const SCHEDULER_HOST = Symbol('SCHEDULER_HOST');
