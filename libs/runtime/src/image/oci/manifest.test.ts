import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CorruptImageError, UnsupportedMediaTypeError } from "../../errors.js";
import { parseImageConfig } from "./image-config.js";
import { choosePlatform, parseManifest, platformOf } from "./manifest.js";
import type { ImageIndex } from "./manifest.js";
import { MediaType } from "./media-types.js";

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const manifest = (
  layerType: string = MediaType.ociLayerGzip,
  configType: string = MediaType.ociConfig,
  mediaType?: string,
): Buffer =>
  json({
    schemaVersion: 2,
    ...(mediaType !== undefined ? { mediaType } : {}),
    config: { mediaType: configType, digest: d("c"), size: 10 },
    layers: [{ mediaType: layerType, digest: d("1"), size: 100 }],
  });

describe("parseManifest", () => {
  const accepted: Array<[string, Buffer, string | undefined, string]> = [
    [
      "an OCI manifest",
      manifest(MediaType.ociLayerGzip, MediaType.ociConfig, MediaType.ociManifest),
      undefined,
      MediaType.ociManifest,
    ],
    [
      "a Docker schema 2 manifest",
      manifest(MediaType.dockerLayerGzip, MediaType.dockerConfig, MediaType.dockerManifest),
      undefined,
      MediaType.dockerManifest,
    ],
    [
      "a manifest typed only by the transport",
      manifest(MediaType.dockerLayer, MediaType.dockerConfig),
      MediaType.dockerManifest,
      MediaType.dockerManifest,
    ],
    ["a manifest without any media type", manifest(MediaType.ociLayer), undefined, MediaType.ociManifest],
  ];
  for (const [name, bytes, hint, mediaType] of accepted) {
    it(`reads ${name}`, () => {
      const m = parseManifest(bytes, "manifest", hint);
      assert.equal(m.kind, "manifest");
      assert.equal(m.mediaType, mediaType);
      assert.ok(m.kind === "manifest" && m.layers.length === 1 && m.config.digest === d("c"));
    });
  }

  it("reads an index with platforms and annotations", () => {
    const idx = parseManifest(
      json({
        schemaVersion: 2,
        mediaType: MediaType.dockerManifestList,
        manifests: [
          {
            mediaType: MediaType.dockerManifest,
            digest: d("a"),
            size: 1,
            platform: { os: "linux", architecture: "arm64", variant: "v8" },
            annotations: { k: "v" },
          },
        ],
      }),
      "index",
    );
    assert.deepEqual(idx, {
      kind: "index",
      mediaType: MediaType.dockerManifestList,
      manifests: [
        {
          mediaType: MediaType.dockerManifest,
          digest: d("a"),
          size: 1,
          platform: { os: "linux", architecture: "arm64", variant: "v8" },
          annotations: { k: "v" },
        },
      ],
    });
  });

  const refused: Array<[string, Buffer, new (...args: never[]) => Error, RegExp]> = [
    [
      "zstd layers",
      manifest("application/vnd.oci.image.layer.v1.tar+zstd"),
      UnsupportedMediaTypeError,
      /layers\[0\] has unsupported media type ".*zstd"/,
    ],
    [
      "non-distributable layers",
      manifest("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"),
      UnsupportedMediaTypeError,
      /nondistributable/,
    ],
    [
      "foreign layers",
      manifest("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"),
      UnsupportedMediaTypeError,
      /foreign/,
    ],
    [
      "a non-image config",
      manifest(MediaType.ociLayer, "application/vnd.cncf.helm.config.v1+json"),
      UnsupportedMediaTypeError,
      /not a container image/,
    ],
    ["schema 1", json({ schemaVersion: 1, name: "x", fsLayers: [] }), UnsupportedMediaTypeError, /schema 1/],
    [
      "an unknown type",
      json({ schemaVersion: 2, mediaType: "application/x-thing" }),
      UnsupportedMediaTypeError,
      /x-thing/,
    ],
    ["bad JSON", Buffer.from("{"), CorruptImageError, /not valid JSON/],
    [
      "a bad digest",
      json({ schemaVersion: 2, config: { mediaType: MediaType.ociConfig, digest: "sha256:12", size: 1 }, layers: [] }),
      CorruptImageError,
      /config has no valid sha256 digest/,
    ],
    [
      "a negative size",
      json({ schemaVersion: 2, config: { mediaType: MediaType.ociConfig, digest: d("c"), size: -1 }, layers: [] }),
      CorruptImageError,
      /no valid size/,
    ],
  ];
  for (const [name, bytes, error, message] of refused) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => parseManifest(bytes, "manifest"),
        (err: unknown) => err instanceof error && message.test(err.message),
      );
    });
  }
});

describe("choosePlatform", () => {
  const entry = (c: string, architecture: string, variant?: string, os = "linux") => ({
    mediaType: MediaType.ociManifest,
    digest: d(c),
    size: 1,
    annotations: {},
    platform: { os, architecture, ...(variant !== undefined ? { variant } : {}) },
  });
  const index: ImageIndex = {
    kind: "index",
    mediaType: MediaType.ociIndex,
    manifests: [
      entry("0", "unknown", undefined, "unknown"),
      entry("1", "arm", "v6"),
      entry("2", "arm", "v7"),
      entry("3", "amd64"),
      entry("4", "arm64"),
    ],
  };
  const cases: Array<[string, string, string | undefined]> = [
    ["x64", "3", undefined],
    ["arm64", "4", undefined],
    ["arm", "2", undefined],
    ["s390x", "", undefined],
  ];
  for (const [arch, want] of cases) {
    it(`picks the ${arch} manifest`, () =>
      assert.equal(choosePlatform(index, platformOf("linux", arch))?.digest, want === "" ? undefined : d(want)));
  }
});

describe("parseImageConfig", () => {
  it("keeps the run settings and converts health check nanoseconds to milliseconds", () => {
    const parsed = parseImageConfig(
      json({
        architecture: "amd64",
        os: "linux",
        created: "2024-01-02T03:04:05Z",
        config: {
          Entrypoint: ["/entry"],
          Cmd: ["run", "x"],
          Env: ["A=1"],
          WorkingDir: "/app",
          User: "1000:1000",
          ExposedPorts: { "80/tcp": {}, "53/udp": {} },
          Volumes: { "/data": {} },
          Labels: { a: "b" },
          StopSignal: "SIGQUIT",
          Healthcheck: { Test: ["CMD-SHELL", "true"], Interval: 5e9, Timeout: 1500e6, StartPeriod: 0, Retries: 2 },
        },
        rootfs: { type: "layers", diff_ids: [d("1"), d("2")] },
      }),
      "config",
    );
    assert.deepEqual(parsed, {
      architecture: "amd64",
      os: "linux",
      created: "2024-01-02T03:04:05Z",
      diffIds: [d("1"), d("2")],
      config: {
        entrypoint: ["/entry"],
        cmd: ["run", "x"],
        env: ["A=1"],
        workingDir: "/app",
        user: "1000:1000",
        exposedPorts: ["53/udp", "80/tcp"],
        volumes: ["/data"],
        labels: { a: "b" },
        stopSignal: "SIGQUIT",
        healthcheck: { test: ["CMD-SHELL", "true"], intervalMs: 5000, timeoutMs: 1500, retries: 2 },
      },
    });
  });

  it("defaults absent lists and refuses configs without layers or with bad fields", () => {
    const minimal = parseImageConfig(
      json({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }),
      "c",
    );
    assert.deepEqual(minimal.config, { env: [], exposedPorts: [], labels: {}, volumes: [] });
    assert.throws(
      () => parseImageConfig(json({ architecture: "amd64", os: "linux" }), "c"),
      /rootfs.type must be "layers"/,
    );
    assert.throws(
      () =>
        parseImageConfig(
          json({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: ["x"] } }),
          "c",
        ),
      /diff_ids\[0\]/,
    );
    assert.throws(
      () =>
        parseImageConfig(
          json({ architecture: "amd64", os: "linux", config: { Env: "A=1" }, rootfs: { type: "layers" } }),
          "c",
        ),
      /config.Env must be a list/,
    );
  });
});
