/** One line of a line diff: kept (` `), only in the old text (`-`) or only in the new text (`+`). */
interface Op {
  readonly kind: " " | "-" | "+";
  readonly line: string;
}

/** Above this many cells the middle of the diff is shown as removed-then-added instead of aligned. */
const MAX_TABLE = 4_000_000;

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Longest-common-subsequence alignment of `a` and `b` (after their common prefix and suffix are cut). */
function lineOps(a: readonly string[], b: readonly string[]): Op[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const keep = (l: string): Op => ({ kind: " ", line: l });
  const head = a.slice(0, pre).map(keep);
  const tail = a.slice(a.length - suf).map(keep);
  const n = am.length;
  const m = bm.length;
  if (n * m > MAX_TABLE) {
    const mid = [...am.map((l): Op => ({ kind: "-", line: l })), ...bm.map((l): Op => ({ kind: "+", line: l }))];
    return [...head, ...mid, ...tail];
  }
  // lcs[i * (m + 1) + j] = length of the LCS of am[i..] and bm[j..].
  const lcs = new Uint32Array((n + 1) * (m + 1));
  const at = (i: number, j: number): number => lcs[i * (m + 1) + j] ?? 0;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * (m + 1) + j] = am[i] === bm[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
    }
  }
  const mid: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && am[i] === bm[j]) {
      mid.push(keep(am[i++] ?? ""));
      j++;
    } else if (i < n && (j === m || at(i + 1, j) >= at(i, j + 1))) {
      mid.push({ kind: "-", line: am[i++] ?? "" });
    } else {
      mid.push({ kind: "+", line: bm[j++] ?? "" });
    }
  }
  return [...head, ...mid, ...tail];
}

function range(start: number, len: number): string {
  // Like diff -u: an empty range names the line before it.
  return len === 1 ? `${start}` : `${len === 0 ? start - 1 : start},${len}`;
}

/**
 * A unified diff (`--- expected`, `+++ actual`, `@@` hunks with `context` lines around each change) of two
 * texts, line by line; "" when they are equal.
 */
export function unifiedDiff(expected: string, actual: string, context = 3): string {
  if (expected === actual) return "";
  const ops = lineOps(splitLines(expected), splitLines(actual));
  const changed = ops.flatMap((op, i) => (op.kind === " " ? [] : [i]));
  let out = "--- expected\n+++ actual\n";
  let k = 0;
  while (k < changed.length) {
    const from = Math.max(0, (changed[k] ?? 0) - context);
    let last = changed[k] ?? 0;
    while (k + 1 < changed.length && (changed[k + 1] ?? 0) - last <= 2 * context) last = changed[++k] ?? last;
    k++;
    const to = Math.min(ops.length, last + context + 1);
    const before = ops.slice(0, from);
    const hunk = ops.slice(from, to);
    const aStart = before.filter((o) => o.kind !== "+").length + 1;
    const bStart = before.filter((o) => o.kind !== "-").length + 1;
    const aLen = hunk.filter((o) => o.kind !== "+").length;
    const bLen = hunk.filter((o) => o.kind !== "-").length;
    out += `@@ -${range(aStart, aLen)} +${range(bStart, bLen)} @@\n`;
    out += hunk.map((o) => `${o.kind}${o.line}\n`).join("");
  }
  if (changed.length === 0) out += "(the texts differ only in their final newline)\n";
  return out;
}
