// What the overlay benchmarks read of one `iperf3 -c ... -J` run (one TCP stream).

/**
 * Parses iperf3's JSON report; throws with iperf3's own error when the run failed.
 * @param {string} json
 * @returns {{ bitsPerSecond: number, retransmits: number, meanRttUs: number, minRttUs: number, maxSndCwndBytes: number, cpuSenderPct: number, cpuReceiverPct: number }}
 */
export function parseIperf(json) {
  const r = JSON.parse(json);
  if (r.error) throw new Error(`iperf3: ${r.error}`);
  const sender = r.end.streams[0].sender;
  return {
    bitsPerSecond: r.end.sum_received.bits_per_second,
    retransmits: r.end.sum_sent.retransmits,
    meanRttUs: sender.mean_rtt,
    minRttUs: sender.min_rtt,
    maxSndCwndBytes: sender.max_snd_cwnd,
    cpuSenderPct: r.end.cpu_utilization_percent.host_total,
    cpuReceiverPct: r.end.cpu_utilization_percent.remote_total,
  };
}
