/** Words for people: `1 assertion`, `2 assertions`, `0 VFIs`, and times as people read them. */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** RFC 3339 of a commit time; a time it cannot write (git accepts any) is shown as git's raw `@seconds`. */
export function isoTime(seconds: number): string {
  const date = new Date(seconds * 1000);
  const year = date.getUTCFullYear();
  return Number.isNaN(year) || year < 0 || year > 9999 ? `@${seconds}` : date.toISOString().replace('.000Z', 'Z');
}
