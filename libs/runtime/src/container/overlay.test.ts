import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { overlayOptions, parseMountPoints, prepareMountPoints, readFromLayers } from "./overlay.js";
import { rootSkip as skip } from "../testing/runtime-fixture.js";

function layers(t: { after(fn: () => void): void }, n: number): string[] {
  const dir = mkdtempSync(join(tmpdir(), "shoal-layers-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return Array.from({ length: n }, (_, i) => {
    const d = join(dir, `l${i}`);
    mkdirSync(join(d, "etc"), { recursive: true });
    return d;
  });
}

test("readFromLayers: the top copy wins; a whiteout or an opaque dir above hides lower copies", { skip }, async (t) => {
  const [bottom, middle, top] = layers(t, 3) as [string, string, string];
  writeFileSync(join(bottom, "etc/passwd"), "bottom");
  assert.equal(await readFromLayers([bottom, middle, top], "etc/passwd"), "bottom");
  writeFileSync(join(middle, "etc/passwd"), "middle");
  assert.equal(await readFromLayers([bottom, middle, top], "etc/passwd"), "middle");
  execFileSync("mknod", [join(top, "etc/passwd"), "c", "0", "0"]);
  assert.equal(await readFromLayers([bottom, middle, top], "etc/passwd"), undefined, "whited out");
  rmSync(join(top, "etc/passwd"));
  execFileSync("setfattr", ["-n", "trusted.overlay.opaque", "-v", "y", join(top, "etc")]);
  assert.equal(await readFromLayers([bottom, middle, top], "etc/passwd"), undefined, "hidden by an opaque etc");
  assert.equal(await readFromLayers([bottom, middle], "etc/group"), undefined, "absent");
});

test(
  "prepareMountPoints creates mount targets in the upper dir, but never an etc dir over an etc symlink",
  { skip },
  async (t) => {
    const [lower, upper, other] = layers(t, 3) as [string, string, string];
    rmSync(join(upper, "etc"), { recursive: true });
    await prepareMountPoints([lower], upper, ["/etc/hosts", "/.shoal-init"]);
    assert.ok(existsSync(join(upper, "etc/hosts")) && existsSync(join(upper, ".shoal-init")));
    rmSync(join(other, "etc"), { recursive: true });
    symlinkSync("usr/etc", join(other, "etc"));
    const upper2 = mkdtempSync(join(tmpdir(), "shoal-upper-"));
    t.after(() => rmSync(upper2, { recursive: true, force: true }));
    await prepareMountPoints([lower, other], upper2, ["/etc/hosts", "/.shoal-init"]);
    assert.equal(existsSync(join(upper2, "etc")), false);
    assert.ok(existsSync(join(upper2, ".shoal-init")));
  },
);

test("overlayOptions lists layers top first and refuses options past one page", () => {
  assert.equal(overlayOptions(["/a", "/b"], "/u", "/w"), "lowerdir=/b:/a,upperdir=/u,workdir=/w");
  assert.throws(() => overlayOptions([], "/u", "/w"), /at least one layer/);
  assert.throws(
    () =>
      overlayOptions(
        Array.from({ length: 200 }, (_, i) => `/var/lib/shoal/images/layers/${i}`.padEnd(60, "x")),
        "/u",
        "/w",
      ),
    /limit 4096/,
  );
});

test("parseMountPoints decodes octal escapes", () => {
  assert.deepEqual(parseMountPoints("36 35 98:0 / /mnt/a\\040b rw - ext4 /dev/x rw\n"), ["/mnt/a b"]);
});
