/**
 * The daily byte budgets a deployer sets in MB (MiB): `uploadMbPerDay` (chat-media.ts) and
 * `textMbPerDay` (text-budget.ts), each checked the same way at synth.
 */

/** The largest budget a setting may give: 1 TB a day, bytes the functions still count exactly. */
export const MAX_MB_PER_DAY = 1024 * 1024;

/**
 * A budget setting: a whole number of MB from `min` to MAX_MB_PER_DAY, the number it is; a string of
 * digits (CDK context) is read as its number. Anything else throws, naming `field` (and, after the
 * minimum, `minWhy`: what makes it the minimum, if anything does).
 */
export function wholeMbPerDay(mb: unknown, field: string, min: number, minWhy = ''): number {
  const value = typeof mb === 'string' && /^\d+$/.test(mb.trim()) ? Number(mb) : mb;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_MB_PER_DAY) {
    throw new Error(
      `${field} must be a whole number of MB from ${min}${minWhy} to ${MAX_MB_PER_DAY} (got ${JSON.stringify(mb)})`,
    );
  }
  return value;
}
