const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `text` can be a row's id: anything else is not looked up (PostgreSQL would refuse it as a uuid). */
export function isUuid(text: string): boolean {
  return UUID.test(text);
}
