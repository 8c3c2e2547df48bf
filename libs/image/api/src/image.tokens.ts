/** DI token of the validated image settings. */
export const IMAGE_SETTINGS = Symbol('IMAGE_SETTINGS');
