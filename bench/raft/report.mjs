// The output of bench/raft: one line per step, the table of every configuration with its ratio rows, and (for
// --tls) the chart of writes/s.
import { barPanels } from "../lib/svg.mjs";

const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : "-");

/** One step's line. */
export function report(system, r) {
  console.log(
    `bench: ${system} ${r.clients} clients: ${fmt(r.writesPerSec)} writes/s, p50 ${fmt(r.p50Ms, 2)} ms, ` +
      `p99 ${fmt(r.p99Ms, 2)} ms, RSS leader ${fmt(r.rssLeaderMiB)} MiB / total ${fmt(r.rssTotalMiB)} MiB, ` +
      `server CPU ${r.serverCpuCores.map((c) => fmt(c, 2)).join("/")} cores, generator CPU ${fmt(r.generatorCpuCores, 2)}` +
      (r.errors ? `, ${r.errors} errors` : ""),
  );
}

/**
 * A markdown table: a row per configuration and client count, then a row per ratio `[label, a, b]` (a's
 * figure over b's at the same client count; above 1 is more for writes/s, worse for latency and memory).
 */
export function table(configs, ratios) {
  const rows = [["system", "clients", "writes/s", "p50 ms", "p99 ms", "RSS leader MiB", "RSS total MiB"]];
  for (const [name, rs] of Object.entries(configs)) {
    for (const r of rs) {
      rows.push([name, String(r.clients), fmt(r.writesPerSec), fmt(r.p50Ms, 2), fmt(r.p99Ms, 2)]);
      rows.at(-1).push(fmt(r.rssLeaderMiB), fmt(r.rssTotalMiB));
    }
  }
  for (const [label, a, b] of ratios) {
    const as = configs[a] ?? [];
    const bs = configs[b] ?? [];
    as.forEach((x, i) => {
      const y = bs[i];
      if (!y) return;
      const q = (k, d = 2) => fmt(x[k] / y[k], d);
      rows.push([
        label,
        String(x.clients),
        q("writesPerSec"),
        q("p50Ms"),
        q("p99Ms"),
        q("rssLeaderMiB"),
        q("rssTotalMiB"),
      ]);
    });
  }
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) => `| ${r.map((x, c) => (c < 2 ? x.padEnd(w[c]) : x.padStart(w[c]))).join(" | ")} |`;
  return [
    line(rows[0]),
    `|${w.map((n, c) => (c < 2 ? `-${"-".repeat(n)}-` : `-${"-".repeat(n)}:`)).join("|")}|`,
    ...rows.slice(1).map(line),
  ].join("\n");
}

/** The chart of a --tls run: a panel per client count, a bar of writes/s per system, plain and with TLS. */
export function tlsChart(configs, { date, seconds }) {
  const names = ["shoal", "shoal+tls", "etcd", "etcd+tls"].filter((n) => configs[n]);
  const counts = [...new Set(names.flatMap((n) => configs[n].map((r) => r.clients)))];
  return barPanels({
    title: "Raft writes/s: Shoal and etcd, plain and with mutual TLS",
    subtitle: `${date}, three members on loopback, 2 cores shared, ${seconds} s windows, higher is better`,
    panels: counts.map((clients) => ({
      label: `${clients} client${clients === 1 ? "" : "s"}`,
      unit: "writes/s",
      bars: names.map((name) => ({
        name,
        value: configs[name].find((r) => r.clients === clients)?.writesPerSec ?? NaN,
      })),
    })),
  });
}
