/** A call got no reply in time. The handler may still run (or have run): calls are not cancelled. */
export class BusTimeoutError extends Error {
  override readonly name = 'BusTimeoutError';
}

/** The remote handler threw; `remoteName` and `message` are the remote error's. */
export class BusRemoteError extends Error {
  override readonly name = 'BusRemoteError';

  constructor(
    readonly remoteName: string,
    message: string,
  ) {
    super(message);
  }
}

/** The bus is closed, or the broker stayed unreachable longer than a send may wait. */
export class BusUnavailableError extends Error {
  override readonly name = 'BusUnavailableError';
}

/** A message of a version the receiving handlers do not implement (a newer sender); never retried. */
export class BusUnsupportedVersionError extends Error {
  override readonly name = 'BusUnsupportedVersionError';
}
