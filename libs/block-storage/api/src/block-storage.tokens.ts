/** DI token of the validated BlockStorageSettings. */
export const BLOCK_STORAGE_SETTINGS = Symbol('BLOCK_STORAGE_SETTINGS');
