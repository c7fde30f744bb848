import http from "node:http";
import type { Readable } from "node:stream";

/** One HTTP request over the agent's unix socket. */
export function localApiCall(
  socketPath: string,
  method: string,
  url: string,
  body?: { type: string; data: string | Buffer | Readable },
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath, method, path: url, headers: body ? { "content-type": body.type } : {} },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (d: Buffer) => parts.push(d));
        res.on("end", () => {
          const text = Buffer.concat(parts).toString("utf8");
          resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on("error", reject);
    if (body && typeof body.data === "object" && "pipe" in body.data) body.data.pipe(req);
    else req.end(body?.data);
  });
}
