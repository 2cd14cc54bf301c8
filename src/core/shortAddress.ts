/** Addresses for people: digests and commits cut to 12 hex, names and tags kept. Pure. */
import type { Component } from './vfi.js';

export const SHORT_HEX = 12;

/** `repo:tag@sha256:<64 hex>` → `repo:tag@sha256:<12 hex>`; `url@<40 hex>` and `Name@<40 hex>` → 12 hex. */
export function shortAddress(address: string): string {
  return address
    .replace(/@([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([0-9a-fA-F]{32,})$/, (_m, algo: string, hex: string) => `@${algo}:${hex.slice(0, SHORT_HEX)}`)
    .replace(/@([0-9a-f]{40})$/, (_m, hex: string) => `@${hex.slice(0, SHORT_HEX)}`);
}

/** A component as one string: the address, prefixed by the type unless it is an image. */
export function describeComponent(c: Component | undefined, short = false): string {
  if (!c) return '';
  const address = short ? shortAddress(c.address) : c.address;
  return c.type === 'dockerImage' ? address : `${c.type}:${address}`;
}

/** Cut a cell to `width` characters, keeping both ends (the name and the short digest) with … between. */
export function fitCell(cell: string, width: number): string {
  if (cell.length <= width) return cell;
  if (width <= 1) return '…'.slice(0, width);
  const tail = Math.ceil((width - 1) / 2);
  return `${cell.slice(0, width - 1 - tail)}…${cell.slice(cell.length - tail)}`;
}

/**
 * Cut an address to `width` characters in its repository path, so that what tells two versions
 * apart (the last name, its tag, the short digest or commit) stays whole: `…/router:1.0.3@sha256:8d3f…`.
 * When even that does not fit, both ends are kept (fitCell).
 */
export function fitAddress(cell: string, width: number): string {
  if (cell.length <= width) return cell;
  const at = cell.lastIndexOf('@');
  const slash = cell.lastIndexOf('/', at < 0 ? cell.length : at);
  const last = cell.slice(slash + 1);
  const room = width - 1 - last.length;
  if (slash < 0 || room < 0) return fitCell(cell, width);
  // a stub of the registry under 4 characters says nothing: the name alone reads better
  return `${room >= 4 ? cell.slice(0, room) : ''}…${last}`;
}
