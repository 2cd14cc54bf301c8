/** Words for people: `1 assertion`, `2 assertions`, `0 VFIs`. */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
