import { formatSize, humanDuration } from "../args/units.js";
import { renderTable } from "./table.js";

/** An image as the agent lists it (the runtime's image record; only what the table needs). */
export interface ImageSummary {
  id: string;
  repoTags: string[];
  size: number;
  created?: string;
}

/** `docker.io/library/busybox:latest` -> [`busybox`, `latest`]; digests and ports handled. */
export function splitRepoTag(ref: string): [string, string] {
  const noDigest = ref.split("@")[0] ?? ref;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  const [repo, tag] = colon > slash ? [noDigest.slice(0, colon), noDigest.slice(colon + 1)] : [noDigest, "<none>"];
  return [repo.replace(/^docker\.io\/library\//, "").replace(/^docker\.io\//, ""), tag];
}

/** `sha256:abc...` -> the first 12 hex digits. */
export const shortImageId = (id: string): string => id.replace(/^sha256:/, "").slice(0, 12);

/** `image ls`: `REPOSITORY TAG IMAGE ID CREATED SIZE`, one row per tag (untagged images as <none>). */
export function imageTable(images: readonly ImageSummary[], now: number): string {
  const rows = images.flatMap((img) => {
    const created = img.created ? `${humanDuration(now - Date.parse(img.created))} ago` : "";
    const refs = img.repoTags.length > 0 ? img.repoTags.map(splitRepoTag) : [["<none>", "<none>"] as [string, string]];
    return refs.map(([repo, tag]) => [repo, tag, shortImageId(img.id), created, formatSize(img.size)]);
  });
  rows.sort((a, b) => (a[0] as string).localeCompare(b[0] as string) || (a[1] as string).localeCompare(b[1] as string));
  return renderTable(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"], rows);
}
