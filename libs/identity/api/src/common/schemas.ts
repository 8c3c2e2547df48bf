import { z } from 'zod';

export const nameSchema = z.string().trim().min(1).max(255);
export const descriptionSchema = z.string().max(65535).nullable();
export const tagsSchema = z.array(z.string().min(1).max(255).refine((tag) => !tag.includes('/') && !tag.includes(','), { message: 'a tag may not contain "/" or ","' })).max(80);

/** Query flags like `?enabled=false`; Keystone treats anything but false/0/no as true. */
export function queryFlag(value: unknown): boolean | undefined {
  if (value === undefined) {
    return undefined;
  }
  return !['false', '0', 'no', 'off'].includes(String(value).toLowerCase());
}
