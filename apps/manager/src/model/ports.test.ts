import assert from "node:assert/strict";
import { test } from "node:test";
import { ServiceSpecSchema, type Service, type ServiceSpecInput } from "@shoal/api";
import { ManagerError } from "../errors.js";
import { allocatePorts, DYNAMIC_PORTS } from "./ports.js";

const T = "2026-11-23T10:00:00.000Z";
type PortIn = NonNullable<NonNullable<ServiceSpecInput["endpoint"]>["ports"]>[number];
const spec = (name: string, ports: PortIn[]) =>
  ServiceSpecSchema.parse({ name, taskTemplate: { container: { image: "b" } }, endpoint: { ports } });

/** A stored service with the ports allocatePorts gave it. */
function stored(name: string, ports: PortIn[], others: Service[] = []): Service {
  const s = spec(name, ports);
  return {
    id: name,
    version: 1,
    createdAt: T,
    updatedAt: T,
    spec: s,
    endpoint: { ports: allocatePorts(s, others), virtualIps: [] },
  };
}

const published = (ports: readonly { publishedPort: number; protocol: string }[]) =>
  ports.map((p) => `${p.publishedPort}/${p.protocol}`);

test("an explicit published port is kept; one left out gets the first free port of the dynamic range", () => {
  const db = stored("db", [{ targetPort: 5432 }]);
  assert.deepEqual(published(db.endpoint.ports), [`${DYNAMIC_PORTS.first}/tcp`]);
  const web = allocatePorts(
    spec("web", [
      { targetPort: 80, publishedPort: 8080 },
      { targetPort: 443 },
      { targetPort: 53, protocol: "udp" },
      { targetPort: 9000 },
    ]),
    [db],
  );
  assert.deepEqual(published(web), ["8080/tcp", "30001/tcp", "30000/udp", "30002/tcp"]);
  assert.equal(web[0]?.targetPort, 80);
});

test("a port another service publishes is refused with 409 naming the field and the owner", () => {
  const web = stored("web", [{ targetPort: 80, publishedPort: 8080 }]);
  assert.throws(
    () => allocatePorts(spec("api", [{ targetPort: 81 }, { targetPort: 80, publishedPort: 8080 }]), [web]),
    (e: unknown) =>
      e instanceof ManagerError &&
      e.status === 409 &&
      e.code === "SHOAL_ERR_PORT_IN_USE" &&
      /^endpoint\.ports\.1: port 8080\/tcp is already published by service web$/.test(e.message),
  );
  // The same number over udp is another port.
  assert.deepEqual(
    published(allocatePorts(spec("dns", [{ targetPort: 53, publishedPort: 8080, protocol: "udp" }]), [web])),
    ["8080/udp"],
  );
});

test("an update keeps the dynamic port the service had for the same target", () => {
  const other = stored("other", [{ targetPort: 1 }]);
  const web = stored("web", [{ targetPort: 80 }], [other]);
  assert.deepEqual(published(web.endpoint.ports), ["30001/tcp"]);
  // Meanwhile 30000 became free (other removed): the update still keeps 30001.
  assert.deepEqual(published(allocatePorts(spec("web", [{ targetPort: 80 }, { targetPort: 81 }]), [], web)), [
    "30001/tcp",
    "30000/tcp",
  ]);
});

test("a full dynamic range is a 409 with a hint", () => {
  const holders: Service[] = [];
  const all = Array.from({ length: DYNAMIC_PORTS.last - DYNAMIC_PORTS.first + 1 }, (_, i) => ({
    protocol: "tcp" as const,
    targetPort: 80,
    publishedPort: DYNAMIC_PORTS.first + i,
    publishMode: "ingress" as const,
  }));
  holders.push({ ...stored("big", []), endpoint: { ports: all, virtualIps: [] } });
  assert.throws(
    () => allocatePorts(spec("web", [{ targetPort: 80 }]), holders),
    (e: unknown) => e instanceof ManagerError && e.status === 409 && e.hint === "publish an explicit port",
  );
});
