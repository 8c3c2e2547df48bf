import { microversions } from '@overcast/shared/core';

export { type ApiVersion } from '@overcast/shared/core';

/** The microversions this service serves; a feature's behaviour changes only from the version Nova changed it in. */
export const MIN_VERSION = '2.1';
export const MAX_VERSION = '2.15';

/** Nova's `OpenStack-API-Version: compute 2.x`, or the older `X-OpenStack-Nova-API-Version: 2.x`, on every v2.1 request. */
export const { Interceptor: MicroversionInterceptor, Microversion } = microversions({
  serviceType: 'compute',
  major: 2,
  min: MIN_VERSION,
  max: MAX_VERSION,
  pathPrefix: '/v2.1',
  legacyHeader: 'X-OpenStack-Nova-API-Version',
  invalid: (version) => `API Version String ${version} is of invalid format. Must be of format MajorNum.MinorNum.`,
});
