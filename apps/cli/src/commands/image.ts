import { createReadStream } from "node:fs";
import { access } from "node:fs/promises";
import type { Command } from "../context.js";
import { CliError } from "../errors.js";
import { imageTable, shortImageId, type ImageSummary } from "../format/images.js";
import { forEachRef, LIST_OPTIONS, printList, requireArgs } from "./output.js";

/** `shoal image load -i FILE` (or the tar on stdin), through the local agent. */
export const imageLoadCommand: Command = {
  name: "image load",
  usage: "[OPTIONS]",
  summary: "Load images from a tar archive (docker save or OCI layout) into this node's store",
  syntax: {
    options: [
      {
        name: "input",
        short: "i",
        type: "string",
        value: "FILE",
        help: "Read from a tar archive file instead of stdin",
      },
      { name: "quiet", short: "q", type: "boolean", help: "Suppress the load output" },
    ],
  },
  run: async (ctx, p) => {
    const file = p.string("input");
    if (file === undefined && (ctx.io.stdin as { isTTY?: boolean }).isTTY) {
      throw p.usage("requested load from stdin, but stdin is a terminal: pass -i FILE or pipe the archive in");
    }
    if (file !== undefined) {
      await access(file).catch((e: NodeJS.ErrnoException) => {
        throw new CliError("SHOAL_ERR_NOT_FOUND", `cannot read ${file}: ${e.code ?? e.message}`);
      });
    }
    const body = file === undefined ? ctx.io.stdin : createReadStream(file);
    const reply = await ctx.agent.call<{ loaded?: string[] }>({
      method: "POST",
      path: "/v1/images/load",
      stream: { body, contentType: "application/x-tar" },
      timeoutMs: 600_000,
    });
    if (!p.flag("quiet")) ctx.out((reply.loaded ?? []).map((r) => `Loaded image: ${r}\n`).join(""));
    return 0;
  },
};

/** `shoal image ls`. */
export const imageLsCommand: Command = {
  name: "image ls",
  aliases: ["list"],
  usage: "[OPTIONS]",
  summary: "List the images in this node's store",
  syntax: { options: LIST_OPTIONS },
  run: async (ctx, p) => {
    const images = await ctx.agent.call<ImageSummary[]>({ method: "GET", path: "/v1/images" });
    printList(
      ctx,
      p,
      images,
      (i) => shortImageId(i.id),
      () => imageTable(images, Date.now()),
    );
    return 0;
  },
};

/** `shoal image rm REF... [--force]`. */
export const imageRmCommand: Command = {
  name: "image rm",
  aliases: ["remove"],
  usage: "[OPTIONS] IMAGE [IMAGE...]",
  summary: "Remove images from this node's store",
  syntax: {
    options: [
      {
        name: "force",
        short: "f",
        type: "boolean",
        help: "Remove the image even if it is tagged several times or stopped containers use it",
      },
    ],
  },
  run: (ctx, p) =>
    forEachRef(ctx, requireArgs(p, 1, "IMAGE"), async (ref) => {
      const reply = await ctx.agent.call<{ untagged?: string[]; deleted?: string[] } | undefined>({
        method: "DELETE",
        path: `/v1/images/${encodeURIComponent(ref)}${p.flag("force") ? "?force=true" : ""}`,
      });
      const lines = [
        ...(reply?.untagged ?? []).map((r) => `Untagged: ${r}`),
        ...(reply?.deleted ?? []).map((r) => `Deleted: ${r}`),
      ];
      ctx.out(lines.length > 0 ? `${lines.join("\n")}\n` : `Deleted: ${ref}\n`);
    }),
};
