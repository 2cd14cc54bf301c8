/**
 * The name Kargo gives a Freight: `Freight.GenerateID()` in Kargo's api/v1alpha1/freight_types.go,
 * a SHA-1 over the origin and the sorted artifacts, so that the Freight `vfi export` writes is the
 * one a Kargo Warehouse would have discovered for the same artifacts:
 *
 *   sha1hex("<origin kind>/<origin name>:" + sort(artifacts).join("|"))
 *   image artifact:  "<repoURL>:<tag>@<digest>" (both tag and digest, either may be empty)
 *   commit artifact: "<repoURL>:<id>"           (Kargo's, with a tag: "<repoURL>:<tag>:<id>")
 *
 * Kargo passes a commit's repoURL through its internal git.NormalizeURL first; that function is not
 * ported here, so the URL enters as the VFI writes it. The name equals Kargo's for Freight of
 * images, and of git URLs already in Kargo's normal form; for others Kargo would name the same
 * Freight otherwise. Pure.
 */
import { createHash } from 'node:crypto';

export function freightName(
  origin: { kind: string; name: string },
  images: readonly { repoURL: string; tag?: string; digest?: string }[],
  commits: readonly { repoURL: string; id: string }[],
): string {
  const artifacts = [
    ...commits.map((c) => `${c.repoURL}:${c.id}`),
    ...images.map((i) => `${i.repoURL}:${i.tag ?? ''}@${i.digest ?? ''}`),
  ];
  // Go's slices.Sort orders strings by bytes; JS's default sort by UTF-16 code units: the same
  // for the ASCII that repository URLs, tags and digests are made of.
  artifacts.sort();
  return createHash('sha1').update(`${origin.kind}/${origin.name}:${artifacts.join('|')}`).digest('hex');
}
