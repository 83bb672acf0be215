import type { z } from 'zod';

/** A zod error as one line naming every failing field ('payload' for the whole object). */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : 'payload'}: ${i.message}`)
    .join('; ');
}
