import { createHash, randomBytes } from "node:crypto";
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { execa } from "execa";
import { startTokenServer } from "./registry-token-server.js";
import type { TokenServer } from "./registry-token-server.js";

/** The registry program the harness runs (Debian's `docker-registry`, distribution 2.x). */
export const REGISTRY_BINARY = "/usr/bin/docker-registry";

/** What {@link TestRegistry.push} uploads. */
export interface TestImagePush {
  /** The manifest or index: bytes are pushed unchanged, an object as its JSON. */
  manifest: Uint8Array | object;
  /** Its media type; the manifest's own `mediaType` field when absent. */
  mediaType?: string;
  /** The config blob, uploaded before the manifest. */
  config?: Uint8Array;
  /** Layer blobs, uploaded before the manifest. */
  layers?: readonly Uint8Array[];
}

/** A real registry on loopback with token auth, for pull tests. */
export interface TestRegistry {
  /** `127.0.0.1:<port>`: prefix repository names with it to form references. */
  host: string;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The only login the token server accepts. */
  credentials: { username: string; password: string };
  /** Token requests the token server has answered (refused ones and the harness's own pushes included). */
  readonly tokenRequests: number;
  /**
   * Uploads blobs and a manifest through the registry API with a push token. `repoRef` is `repo:tag` or
   * `repo@sha256:...` (a bare `repo` means `repo:latest`), with or without the `host/` prefix.
   * Resolves to the manifest's digest.
   */
  push(repoRef: string, image: TestImagePush): Promise<{ digest: string }>;
  /** Where the registry keeps blob `digest` on disk, for tests that tamper with stored data. */
  blobPath(digest: string): string;
  /** Kills the registry, closes the token server and removes every file it made. Safe to call twice. */
  stop(): Promise<void>;
}

/** Whether the registry program is installed (tests needing it may skip only outside CI). */
export async function registryAvailable(): Promise<boolean> {
  return access(REGISTRY_BINARY).then(
    () => true,
    () => false,
  );
}

const SERVICE = "shoal-test-registry";
const ISSUER = "shoal-test-token-issuer";
/** How long the registry may take to start before the harness gives up. */
const START_DEADLINE_MS = 15_000;

/**
 * Starts Debian's `docker-registry` on a free 127.0.0.1 port with filesystem storage in a temp dir and Docker
 * token auth, plus a token server in this process that signs tokens with a fresh key whose self-signed
 * certificate the registry trusts. Resolves once `/v2/` answers. On failure everything started is undone.
 */
export async function startRegistry(options: { tokenLifetimeS?: number } = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), "shoal-registry-"));
  const cleanups: (() => Promise<void>)[] = [() => rm(dir, { recursive: true, force: true })];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const keyPath = join(dir, "token.key");
    const certPath = join(dir, "token.crt");
    await execa("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyPath,
      "-out",
      certPath,
      "-days",
      "2",
      "-subj",
      "/CN=shoal-test-token-issuer",
    ]);
    const credentials = { username: "shoal", password: randomBytes(12).toString("hex") };
    const tokens: TokenServer = await startTokenServer({
      keyPem: await readFile(keyPath, "utf8"),
      certPem: await readFile(certPath, "utf8"),
      issuer: ISSUER,
      service: SERVICE,
      ...credentials,
      expiresInS: options.tokenLifetimeS ?? 300,
    });
    cleanups.push(() => tokens.close());

    const storage = join(dir, "storage");
    await mkdir(storage);
    const configPath = join(dir, "config.yml");
    await writeFile(configPath, registryConfig(storage, tokens.realm, certPath));
    const host = await runRegistry(configPath, cleanups);
    const url = `http://${host}`;
    await waitForApi(url);

    return {
      host,
      url,
      credentials,
      get tokenRequests() {
        return tokens.requests;
      },
      push: (repoRef, image) => push({ url, host, realm: tokens.realm, credentials }, repoRef, image),
      blobPath: (digest) => {
        const hex = digest.replace(/^sha256:/, "");
        return join(storage, "docker", "registry", "v2", "blobs", "sha256", hex.slice(0, 2), hex, "data");
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function registryConfig(storage: string, realm: string, certPath: string): string {
  // JSON is YAML; the registry's own settings only, nothing from the environment.
  return JSON.stringify({
    version: 0.1,
    log: { level: "info", formatter: "json", accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: storage }, maintenance: { uploadpurging: { enabled: false } } },
    http: { addr: "127.0.0.1:0", secret: randomBytes(16).toString("hex") },
    auth: { token: { realm, service: SERVICE, issuer: ISSUER, rootcertbundle: certPath } },
  });
}

/**
 * Runs the registry and resolves to the `host:port` it listens on, read from its "listening on" log line.
 * Registers the kill with `cleanups` before anything can fail.
 */
async function runRegistry(configPath: string, cleanups: (() => Promise<void>)[]): Promise<string> {
  const proc = execa(REGISTRY_BINARY, ["serve", configPath], {
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
    extendEnv: false,
    buffer: false,
    stdin: "ignore",
    reject: false,
  });
  const exited = proc.then((result) => result);
  cleanups.push(async () => {
    proc.kill("SIGKILL");
    await exited;
  });
  const lastLines: string[] = [];
  const listening = new Promise<string>((resolve, reject) => {
    for (const stream of [proc.stdout, proc.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        lastLines.push(line);
        if (lastLines.length > 20) lastLines.shift();
        const match = /"msg":"listening on ([0-9.]+:\d+)"/.exec(line);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
    }
    void exited.then((result) =>
      reject(
        new Error(
          `test registry exited (${result.exitCode ?? result.signal}) before listening:\n${lastLines.join("\n")}`,
        ),
      ),
    );
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`test registry did not listen within ${START_DEADLINE_MS} ms:\n${lastLines.join("\n")}`)),
      START_DEADLINE_MS,
    );
  });
  try {
    return await Promise.race([listening, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `/v2/` until the registry answers it (401 with token auth), backing off from 5 ms. */
async function waitForApi(url: string): Promise<void> {
  const giveUpAt = Date.now() + START_DEADLINE_MS;
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    try {
      const res = await fetch(`${url}/v2/`);
      await res.body?.cancel();
      if (res.status === 200 || res.status === 401) return;
    } catch (err) {
      if (Date.now() > giveUpAt) throw new Error(`test registry at ${url} does not answer /v2/`, { cause: err });
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

interface PushTarget {
  url: string;
  host: string;
  realm: string;
  credentials: { username: string; password: string };
}

async function push(target: PushTarget, repoRef: string, image: TestImagePush): Promise<{ digest: string }> {
  const ref = repoRef.startsWith(`${target.host}/`) ? repoRef.slice(target.host.length + 1) : repoRef;
  const at = ref.indexOf("@");
  const colon = ref.lastIndexOf(":");
  const [repo, reference] =
    at >= 0
      ? [ref.slice(0, at), ref.slice(at + 1)]
      : colon > ref.lastIndexOf("/")
        ? [ref.slice(0, colon), ref.slice(colon + 1)]
        : [ref, "latest"];

  const tokenUrl = new URL(target.realm);
  tokenUrl.searchParams.set("service", SERVICE);
  tokenUrl.searchParams.set("scope", `repository:${repo}:pull,push`);
  const login = Buffer.from(`${target.credentials.username}:${target.credentials.password}`).toString("base64");
  const tokenRes = await fetch(tokenUrl, { headers: { authorization: `Basic ${login}` } });
  const { token } = (await expectStatus(tokenRes, 200, "push token")).json as { token: string };
  const authorization = `Bearer ${token}`;

  for (const blob of [...(image.config === undefined ? [] : [image.config]), ...(image.layers ?? [])]) {
    const started = await fetch(`${target.url}/v2/${repo}/blobs/uploads/`, {
      method: "POST",
      headers: { authorization },
    });
    await expectStatus(started, 202, `starting a blob upload to ${repo}`);
    const location = new URL(started.headers.get("location") ?? "", target.url);
    location.searchParams.set("digest", sha256(blob));
    const put = await fetch(location, {
      method: "PUT",
      headers: { authorization, "content-type": "application/octet-stream" },
      body: blob,
    });
    await expectStatus(put, 201, `uploading blob ${sha256(blob)} to ${repo}`);
  }

  const bytes = image.manifest instanceof Uint8Array ? image.manifest : Buffer.from(JSON.stringify(image.manifest));
  const mediaType =
    image.mediaType ?? (JSON.parse(Buffer.from(bytes).toString("utf8")) as { mediaType?: string }).mediaType;
  if (mediaType === undefined) throw new Error("push: the manifest has no mediaType; pass one");
  const put = await fetch(`${target.url}/v2/${repo}/manifests/${reference}`, {
    method: "PUT",
    headers: { authorization, "content-type": mediaType },
    body: bytes,
  });
  await expectStatus(put, 201, `pushing manifest ${repo}:${reference}`);
  return { digest: sha256(bytes) };
}

async function expectStatus(res: Response, status: number, what: string): Promise<{ json: unknown }> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`test registry: ${what}: expected ${status}, got ${res.status}: ${text}`);
  return { json: text === "" ? undefined : (JSON.parse(text) as unknown) };
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}
