/** Image platforms (`linux/arm64/v8`): parsing, containerd's normalisation, matching, and which manifest of an index to pin. Pure. */
import { VfiError } from '../errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

const ARCH_ALIASES: Record<string, [string, string?]> = {
  x86_64: ['amd64'],
  'x86-64': ['amd64'],
  aarch64: ['arm64'],
  armhf: ['arm', 'v7'],
  armel: ['arm', 'v6'],
  i386: ['386'],
};

/** containerd's platforms.Normalize, for the values that matter here. */
export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase();
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  const alias = ARCH_ALIASES[architecture];
  if (alias) {
    architecture = alias[0];
    variant ??= alias[1];
  }
  if (architecture === 'arm64' && (variant === 'v8' || variant === '8')) variant = undefined;
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  if (architecture === 'arm' && variant && /^\d$/.test(variant)) variant = `v${variant}`;
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** `os/arch[/variant]`, e.g. `linux/arm64`, `linux/arm/v7`. */
export function parsePlatform(s: string): Platform {
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((x) => !/^[A-Za-z0-9_.-]+$/.test(x))) {
    throw new VfiError('USAGE', `invalid platform ${JSON.stringify(s)}: expected os/arch or os/arch/variant, e.g. linux/arm64`, { platform: s });
  }
  return { os: parts[0]!, architecture: parts[1]!, ...(parts[2] ? { variant: parts[2] } : {}) };
}

/** Does `candidate` satisfy `wanted`? A wanted platform without variant accepts any variant. */
export function platformMatches(wanted: Platform, candidate: Platform): boolean {
  const w = normalizePlatform(wanted);
  const c = normalizePlatform(candidate);
  if (w.os !== c.os || w.architecture !== c.architecture) return false;
  if (w.variant === undefined) return true;
  return (c.variant ?? (c.architecture === 'arm' ? 'v7' : undefined)) === w.variant;
}

/** An index's manifests, as the registry wrote them (nothing checked yet). */
export type IndexEntry = { digest?: unknown; mediaType?: unknown; platform?: { os?: unknown; architecture?: unknown; variant?: unknown } };

/** The index entry to pin for `platform`, or undefined when the index has none of that platform. */
export function chooseChild(manifests: readonly IndexEntry[], platform: Platform): IndexEntry | undefined {
  const children = manifests.filter(
    (m) =>
      typeof m.digest === 'string' &&
      typeof m.platform?.os === 'string' &&
      typeof m.platform.architecture === 'string' &&
      platformMatches(platform, {
        os: m.platform.os,
        architecture: m.platform.architecture,
        ...(typeof m.platform.variant === 'string' ? { variant: m.platform.variant } : {}),
      }),
  );
  // prefer an exact variant match when the index has several (arm/v6 and arm/v7, say); a
  // platform asked without variant prefers the default one (arm: v7), as containerd does
  const asked = normalizePlatform(platform);
  const preferred = formatPlatform(asked.variant === undefined && asked.architecture === 'arm' ? { ...asked, variant: 'v7' } : asked);
  const exact = children.find(
    (m) =>
      formatPlatform(
        normalizePlatform({
          os: String(m.platform!.os),
          architecture: String(m.platform!.architecture),
          ...(typeof m.platform!.variant === 'string' ? { variant: m.platform!.variant } : {}),
        }),
      ) === preferred,
  );
  return exact ?? children[0];
}
