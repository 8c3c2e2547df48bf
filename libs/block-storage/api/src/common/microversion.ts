import { microversions } from '@overcast/shared/core';

export { type ApiVersion } from '@overcast/shared/core';

/** The microversions this service serves: 3.0 to 3.44 (the attachments API, completed by os-complete). */
export const MIN_VERSION = '3.0';
export const MAX_VERSION = '3.44';

/** Cinder's `OpenStack-API-Version: volume 3.x` on every v3 request. */
export const { Interceptor: MicroversionInterceptor, Microversion } = microversions({ serviceType: 'volume', major: 3, min: MIN_VERSION, max: MAX_VERSION, pathPrefix: '/v3/' });
