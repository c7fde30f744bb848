import { writeFileDurably } from "@shoal/common";
import fs from "node:fs/promises";
import path from "node:path";
import { JoinInfoSchema, type JoinInfo } from "@shoal/api";
import type { z } from "zod";

/**
 * The agent's durable state in `<dataDir>/agent`: `join.json`, what joining the cluster gave (the node id, bus
 * URLs and token, the managers; the certificate and key are in `<dataDir>/certificates`). Written atomically,
 * mode 0600.
 */
export class AgentStateFiles {
  constructor(readonly dir: string) {}

  async readJoin(): Promise<JoinInfo | undefined> {
    return this.read("join.json", JoinInfoSchema);
  }

  async writeJoin(info: JoinInfo): Promise<void> {
    await this.write("join.json", info);
  }

  /** Deletes all of it (leaving the cluster). */
  async remove(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  private async read<S extends z.ZodType>(name: string, schema: S): Promise<z.output<S> | undefined> {
    const file = path.join(this.dir, name);
    let text: string;
    try {
      text = await fs.readFile(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new Error(`agent: ${file} is not JSON: remove it and join the cluster again`);
    }
    const r = schema.safeParse(value);
    if (!r.success)
      throw new Error(
        `agent: ${file} is not valid (${r.error.issues.map((i) => i.path.join(".")).join(", ")}): remove it and join the cluster again`,
      );
    return r.data;
  }

  private async write(name: string, value: unknown): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileDurably(path.join(this.dir, name), `${JSON.stringify(value, null, 2)}\n`);
  }
}
