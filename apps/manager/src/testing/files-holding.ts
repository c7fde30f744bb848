import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** Every file under `dir` that holds one of `needles` (as bytes), with the needle found: `path: "needle"`. */
export function filesHolding(dir: string, needles: readonly string[]): string[] {
  const found: string[] = [];
  for (const sub of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const file = join(dir, sub);
    if (!statSync(file).isFile()) continue;
    const bytes = readFileSync(file);
    for (const n of needles) if (bytes.includes(Buffer.from(n))) found.push(`${sub}: ${JSON.stringify(n)}`);
  }
  return found;
}
