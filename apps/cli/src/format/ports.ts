/** A published port as `service ls` and `service ps` show it: `*:8080->80/tcp`. */
export function formatPort(p: { publishedPort?: number | undefined; targetPort: number; protocol: string }): string {
  return `*:${p.publishedPort ?? ""}->${p.targetPort}/${p.protocol}`;
}

/** Several ports, comma separated. */
export const formatPorts = (
  ports: readonly { publishedPort?: number | undefined; targetPort: number; protocol: string }[],
): string => ports.map(formatPort).join(", ");
