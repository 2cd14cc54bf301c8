/**
 * The name Kargo gives a Freight: `Freight.GenerateID()` in Kargo's api/v1alpha1/freight_types.go,
 * a SHA-1 over the origin and the sorted artifacts, so that the Freight `vfi export` writes is the
 * one a Kargo Warehouse would have discovered for the same artifacts:
 *
 *   sha1hex("<origin kind>/<origin name>:" + sort(artifacts).join("|"))
 *   image artifact:  "<repoURL>:<tag>@<digest>" (both tag and digest, either may be empty)
 *   commit artifact: "<repoURL>:<id>"           (Kargo's, with a tag: "<repoURL>:<tag>:<id>")
 *
 * Kargo passes a commit's repoURL through its URL normalization first (kargoGitUrl.ts), so
 * `https://host/org/repo.git` and `https://host/org/repo` name the same Freight. Image repoURLs
 * enter as written, as Kargo's do. Pure.
 */
import { createHash } from 'node:crypto';
import { kargoGitUrl } from './kargoGitUrl.js';

export function freightName(
  origin: { kind: string; name: string },
  images: readonly { repoURL: string; tag?: string; digest?: string }[],
  commits: readonly { repoURL: string; id: string }[],
): string {
  const artifacts = [
    ...commits.map((c) => `${kargoGitUrl(c.repoURL)}:${c.id}`),
    ...images.map((i) => `${i.repoURL}:${i.tag ?? ''}@${i.digest ?? ''}`),
  ];
  // Go's slices.Sort orders strings by bytes; JS's default sort by UTF-16 code units: the same
  // for the ASCII that repository URLs, tags and digests are made of.
  artifacts.sort();
  return createHash('sha1').update(`${origin.kind}/${origin.name}:${artifacts.join('|')}`).digest('hex');
}
