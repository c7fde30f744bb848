import assert from "node:assert/strict";
import { test } from "node:test";
import { T0, iso, makeNode, makeService, withStatus } from "../testing/objects.js";
import { imageTable, splitRepoTag } from "./images.js";
import { formatLogLine, sinceQuery } from "./logs.js";
import { nodeTable } from "./nodes.js";
import { serviceTable } from "./services.js";
import { renderTable } from "./table.js";

test("tables align columns with three spaces and no trailing blanks", () => {
  assert.equal(
    renderTable(
      ["A", "BB"],
      [
        ["xxxx", "y"],
        ["z", ""],
      ],
    ),
    "A      BB\nxxxx   y\nz\n",
  );
});

test("service ls shows mode, running/desired replicas and published ports", () => {
  const s = makeService({ id: "abcdefabcdefabcdef", replicas: 3 });
  s.endpoint.ports.push({ targetPort: 80, publishedPort: 30000, protocol: "tcp", publishMode: "ingress" });
  const out = serviceTable([withStatus(s, 2, 3)]);
  assert.equal(
    out,
    "ID             NAME   MODE         REPLICAS   IMAGE          PORTS\nabcdefabcdef   web    replicated   2/3        busybox:1.36   *:30000->80/tcp\n",
  );
});

test("node ls shows status, availability and the leader, marking the answering node", () => {
  const out = nodeTable(
    [
      makeNode({ id: "n2", hostname: "b", availability: "drain", state: "down" }),
      makeNode({ id: "n1", hostname: "a", leader: true }),
    ],
    "n1",
  );
  assert.equal(
    out,
    "ID     HOSTNAME   STATUS   AVAILABILITY   MANAGER STATUS\nn1 *   a          Ready    Active         Leader\nn2     b          Down     Drain\n",
  );
});

test("image ls splits references like docker and sizes in decimal units", () => {
  assert.deepEqual(splitRepoTag("docker.io/library/busybox:latest"), ["busybox", "latest"]);
  assert.deepEqual(splitRepoTag("registry:5000/app"), ["registry:5000/app", "<none>"]);
  const out = imageTable(
    [
      {
        id: "sha256:0123456789abcdef",
        repoTags: ["docker.io/library/busybox:1.36"],
        size: 4_400_000,
        created: iso(T0),
      },
    ],
    T0 + 3 * 86_400_000,
  );
  assert.equal(
    out,
    "REPOSITORY   TAG    IMAGE ID       CREATED      SIZE\nbusybox      1.36   0123456789ab   3 days ago   4.4MB\n",
  );
});

test("log lines carry docker's prefix", () => {
  const line = {
    taskId: "abcdefabcdefabcd",
    serviceId: "svc1",
    slot: 2,
    nodeId: "n1",
    stream: "stdout" as const,
    time: iso(T0),
    line: "hello",
  };
  const ctx = { serviceNames: new Map([["svc1", "web"]]), nodeNames: new Map([["n1", "node1"]]), timestamps: false };
  assert.equal(formatLogLine(line, ctx), "web.2.abcdefabcdef@node1    | hello\n");
  assert.equal(formatLogLine(line, { ...ctx, timestamps: true }), `${iso(T0)} web.2.abcdefabcdef@node1    | hello\n`);
  assert.equal(sinceQuery("10m", T0), iso(T0 - 600_000));
  assert.equal(sinceQuery("2026-01-01T00:00:00Z", T0), "2026-01-01T00:00:00Z");
});
