import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, test } from "node:test";
import { main } from "../main.js";
import { apiError, captureIo, FakeServer } from "../testing/fake-server.js";

let dir: string;
let agent: FakeServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "shoal-cli-image-"));
  agent = new FakeServer();
  agent
    .on("POST", "/v1/images/load", (r) =>
      r.headers["content-type"] === "application/x-tar" && r.body.toString() === "TARBYTES"
        ? { status: 200, json: { loaded: ["docker.io/library/busybox:latest"] } }
        : apiError(400, "SHOAL_ERR_INVALID_ARGUMENT", "runtime: not a tar archive", {
            hint: "make it with `docker save`",
          }),
    )
    .on("GET", "/v1/images", () => ({
      status: 200,
      json: [{ id: "sha256:0123456789abcdef", repoTags: ["docker.io/library/busybox:latest"], size: 4_400_000 }],
    }))
    .on("DELETE", "/v1/images/:ref", (r) =>
      r.query.get("force") === "true"
        ? { status: 200, json: { untagged: [r.params.ref], deleted: ["sha256:0123456789abcdef"] } }
        : apiError(409, "SHOAL_ERR_IN_USE", `runtime: image "${r.params.ref}" is in use by c1; remove those first`, {
            hint: "use --force",
          }),
    );
  await agent.listen(join(dir, "agent.sock"));
});
after(async () => {
  await agent.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = async (argv: string[], stdin?: Readable) => {
  const io = captureIo(stdin ? { stdin } : {});
  const code = await main([...argv, "--run-dir", dir], io);
  return { code, out: io.out(), err: io.err() };
};

test("image load -i sends the archive to the local agent's socket as a tar", async () => {
  const file = join(dir, "busybox.tar");
  writeFileSync(file, "TARBYTES");
  const r = await run(["image", "load", "-i", file]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, "Loaded image: docker.io/library/busybox:latest\n");
});

test("image load reads the archive from stdin", async () => {
  const r = await run(["image", "load"], Readable.from([Buffer.from("TAR"), Buffer.from("BYTES")]));
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, "Loaded image: docker.io/library/busybox:latest\n");
});

test("the agent's error body is shown with its hint, exit 1", async () => {
  const r = await run(["image", "load"], Readable.from([Buffer.from("junk")]));
  assert.equal(r.code, 1);
  assert.equal(r.err, "Error: runtime: not a tar archive\nhint: make it with `docker save`\n");
});

test("a missing input file is named", async () => {
  const r = await run(["image", "load", "-i", join(dir, "nope.tar")]);
  assert.equal(r.code, 1);
  assert.match(r.err, /cannot read .*nope\.tar: ENOENT/);
});

test("image ls and image rm go through the socket", async () => {
  const ls = await run(["image", "ls"]);
  assert.match(ls.out, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\nbusybox\s+latest\s+0123456789ab\s+4\.4MB\n$/);
  const refused = await run(["image", "rm", "busybox"]);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /in use by c1.*\nhint: use --force/);
  const forced = await run(["image", "rm", "--force", "busybox"]);
  assert.equal(forced.out, "Untagged: busybox\nDeleted: sha256:0123456789abcdef\n");
});

test("no agent on the socket: exit 1 with a hint", async () => {
  const io = captureIo();
  const code = await main(["image", "ls", "--run-dir", join(dir, "elsewhere")], io);
  assert.equal(code, 1);
  assert.match(
    io.err(),
    /^Error: cannot reach the local agent at .*elsewhere\/agent\.sock \(ENOENT\)\nhint: is `shoal agent` running/,
  );
});
