import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { promisify } from "node:util";
import { REPO } from "./node.js";

const run = promisify(execFile);

/**
 * `vagrant validate` of infra/vagrant/Vagrantfile (no VM starts in the default suite). NB: --ignore-provider,
 * since CI installs neither VirtualBox nor the libvirt plugin (scripts/setup-vagrant.sh does): the provider
 * blocks are evaluated as Ruby, not checked against the providers' option lists. And SHOAL_SYNC_TYPE=virtualbox, since validating the default NFS synced
 * folder checks that this host runs an NFS server (`modinfo nfsd`), which CI machines do not.
 */
describe("infra/vagrant/Vagrantfile", () => {
  const home = mkdtempSync(join(tmpdir(), "shoal-vagrant-"));
  after(() => rmSync(home, { recursive: true, force: true }));

  const validate = async (env: Record<string, string> = {}): Promise<{ code: number; out: string }> => {
    try {
      const r = await run("vagrant", ["validate", "--ignore-provider"], {
        cwd: `${REPO}/infra/vagrant`,
        // Vagrant's state goes to a temp dir, not the checkout; no network check for a newer version.
        env: {
          ...process.env,
          VAGRANT_HOME: join(home, "home"),
          VAGRANT_DOTFILE_PATH: join(home, "dot"),
          VAGRANT_CHECKPOINT_DISABLE: "1",
          SHOAL_SYNC_TYPE: "virtualbox",
          ...env,
        },
      });
      return { code: 0, out: r.stdout + r.stderr };
    } catch (e) {
      const x = e as { code?: number; stdout?: string; stderr?: string };
      if (typeof x.code !== "number") throw e;
      return { code: x.code, out: (x.stdout ?? "") + (x.stderr ?? "") };
    }
  };
  const machines = (out: string): string[] =>
    [...out.matchAll(/^==> (\S+): Ignoring provider config/gm)].map((m) => m[1] ?? "");

  test("validates with 3 managers and 2 workers by default", async () => {
    const r = await validate();
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /Vagrantfile validated successfully/);
    assert.deepEqual(machines(r.out), ["shoal-m1", "shoal-m2", "shoal-m3", "shoal-w1", "shoal-w2"]);
  });

  test("takes the node counts and names from the environment", async () => {
    const r = await validate({
      SHOAL_MANAGERS: "1",
      SHOAL_WORKERS: "1",
      SHOAL_NAME_PREFIX: "lab",
      SHOAL_SUBNET: "10.20.30",
    });
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(machines(r.out), ["lab-m1", "lab-w1"]);
  });

  test("refuses a cluster without a manager, saying so", async () => {
    const r = await validate({ SHOAL_MANAGERS: "0" });
    assert.notEqual(r.code, 0);
    assert.match(r.out, /SHOAL_MANAGERS must be 1 or more/);
  });
});
