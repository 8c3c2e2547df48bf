/** PostgreSQL's unique_violation: the database, not a racy pre-check, decides about duplicates. */
export function isUniqueViolation(error: unknown): boolean {
  const driverError = (error as { driverError?: { code?: string } } | undefined)?.driverError;
  return driverError?.code === '23505' || (error as { code?: string } | undefined)?.code === '23505';
}
