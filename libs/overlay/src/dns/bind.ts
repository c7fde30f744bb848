import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { once } from "node:events";
import { createServer, type Server } from "node:net";

const EPHEMERAL_BIND_TRIES = 8;

/** Binds UDP and TCP on the same port; with port 0, retries when the UDP port's TCP twin is taken. */
export async function bindUdpAndTcp(address: string, port: number): Promise<{ udp: UdpSocket; tcp: Server }> {
  for (let attempt = 1; ; attempt++) {
    const udp = createSocket("udp4");
    try {
      udp.bind({ address, port, exclusive: true });
      await once(udp, "listening");
    } catch (err) {
      closeQuietly(udp);
      throw err;
    }
    const tcp = createServer();
    try {
      tcp.listen({ host: address, port: udp.address().port, exclusive: true });
      await once(tcp, "listening");
      return { udp, tcp };
    } catch (err) {
      closeQuietly(udp);
      const inUse = (err as NodeJS.ErrnoException).code === "EADDRINUSE";
      if (port !== 0 || !inUse || attempt >= EPHEMERAL_BIND_TRIES) throw err;
    }
  }
}

function closeQuietly(udp: UdpSocket): void {
  try {
    udp.close();
  } catch {
    // Already closed by its failed bind.
  }
}
