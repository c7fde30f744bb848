// Builds the dashboard into dist/web: one HTML page and hashed assets, everything bundled (no CDN), served by
// the manager at `/` on its API port. `npm run dev -w @shoal/dashboard` is not set up: build and reload.
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  base: "/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist/web",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: true,
    target: "es2022",
    chunkSizeWarningLimit: 1024,
  },
});
