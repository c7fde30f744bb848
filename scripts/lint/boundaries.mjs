// An eslint plugin that keeps the workspace's dependency rules:
// - the manager's components (orchestrator, allocator, scheduler, dispatcher, node monitor, reaper, membership,
//   nats, keys, api) import none of each other: they meet in the store and share the pure model (model/); only
//   manager.ts wires them (and index.ts re-exports them);
// - the model and the store import no component, and the model stays pure (no node: modules);
// - a lib never imports an app.
// Tests are left out: they may drive several components together. Written as a small local rule rather than a
// dependency-rule tool because the rules are few and the messages can say exactly what to do instead.
import { dirname, relative, resolve, sep } from "node:path";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "../..");
const MANAGER = resolve(ROOT, "apps/manager/src");
/** The manager's components: folders of apps/manager/src that must not import each other. */
export const COMPONENTS = [
  "allocator",
  "api",
  "dispatcher",
  "keys",
  "membership",
  "nats",
  "node-monitor",
  "orchestrator",
  "reaper",
  "scheduler",
];
/** Files of apps/manager/src allowed to import components. */
const WIRING = new Set(["manager.ts", "index.ts"]);
/** The apps' package names, which no lib may import. */
const APP_PACKAGES = ["@shoal/agent", "@shoal/cli", "@shoal/dashboard", "@shoal/manager"];

const isTest = (file) => /\.test\.[cm]?[jt]s$/.test(file) || file.split(sep).includes("testing");

/** The first folder of `file` under `base`, or the file name itself when it lies directly in `base`. */
function topOf(base, file) {
  const rel = relative(base, file);
  if (rel.startsWith("..")) return undefined;
  return rel.split(sep)[0];
}

/** What is wrong with `file` importing `source`, or undefined. Exported for tests. */
export function violation(file, source) {
  const abs = resolve(file);
  const rel = relative(ROOT, abs);
  if (rel.startsWith(`libs${sep}`)) {
    const app = APP_PACKAGES.find((p) => source === p || source.startsWith(`${p}/`));
    const target = source.startsWith(".") ? relative(ROOT, resolve(dirname(abs), source)) : "";
    if (app || target.startsWith(`apps${sep}`)) {
      return `a lib must not import an app (${source}): move what both need into a lib, or invert the dependency`;
    }
    return undefined;
  }
  const from = topOf(MANAGER, abs);
  if (from === undefined || isTest(abs)) return undefined;
  if (from === "model" && source.startsWith("node:")) {
    return `the manager's model is pure and must not import ${source}: do the I/O in a component and pass the result in`;
  }
  if (!source.startsWith(".")) return undefined;
  const to = topOf(MANAGER, resolve(dirname(abs), source));
  if (to === undefined || to === from || !COMPONENTS.includes(to)) return undefined;
  if (COMPONENTS.includes(from)) {
    return `manager component ${from} must not import component ${to} (${source}): components meet only in the store; move what they share into apps/manager/src/model/, or hand it over in manager.ts`;
  }
  if (!WIRING.has(from)) {
    return `${from} must not import component ${to} (${source}): apps/manager/src/manager.ts is the only file that wires components`;
  }
  return undefined;
}

const rule = {
  meta: {
    type: "problem",
    docs: { description: "keeps the manager's components apart and libs free of apps" },
    schema: [],
  },
  create(context) {
    const check = (node) => {
      const source = node.source;
      if (!source || source.type !== "Literal" || typeof source.value !== "string") return;
      const message = violation(context.filename, source.value);
      if (message) context.report({ node: source, message });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

export default { rules: { boundaries: rule } };
