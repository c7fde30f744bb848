// Small SVG charts for the benchmarks' reports: panels of bars, one panel per measure (each with its own unit
// and scale), a bar per side (Shoal's path and the peer's), the value printed on each bar. Plain SVG text with
// no script or external font, so that it renders wherever the docs are read.

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const COLORS = ["#7f8c8d", "#2a7ab9", "#e08a2c", "#3a9a5b"];

/**
 * An SVG of bar panels side by side.
 * @param {{ title: string, subtitle?: string, panels: { label: string, unit: string, bars: { name: string, value: number }[], note?: string }[] }} chart
 * @returns {string}
 */
export function barPanels(chart) {
  const panelW = 240;
  const panelH = 220;
  const top = chart.subtitle ? 64 : 44;
  // Wide enough for the title (about 9 px a character at 15 px bold) and for the panels.
  const width = Math.max(panelW * chart.panels.length + 20, Math.ceil(chart.title.length * 9) + 20);
  const height = top + panelH + 20;
  const names = [...new Set(chart.panels.flatMap((p) => p.bars.map((b) => b.name)))];
  const color = (name) => COLORS[names.indexOf(name) % COLORS.length];
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${esc(chart.title)}</text>`,
  ];
  if (chart.subtitle) out.push(`<text x="10" y="42" fill="#555">${esc(chart.subtitle)}</text>`);
  chart.panels.forEach((p, i) => {
    const x0 = 10 + i * panelW;
    const plotTop = top + 36;
    const plotH = panelH - 60;
    const max = Math.max(...p.bars.map((b) => b.value), Number.MIN_VALUE);
    const barW = Math.min(60, (panelW - 40) / p.bars.length - 10);
    out.push(`<text x="${x0 + 10}" y="${top + 8}" font-weight="bold">${esc(p.label)} (${esc(p.unit)})</text>`);
    out.push(
      `<line x1="${x0 + 10}" y1="${plotTop + plotH}" x2="${x0 + panelW - 20}" y2="${plotTop + plotH}" stroke="#333"/>`,
    );
    p.bars.forEach((b, j) => {
      const h = Number.isFinite(b.value) ? (b.value / max) * plotH : 0;
      const x = x0 + 20 + j * (barW + 14);
      const y = plotTop + plotH - h;
      const v = Number.isFinite(b.value) ? (b.value >= 100 ? b.value.toFixed(0) : b.value.toPrecision(3)) : "-";
      out.push(`<rect x="${x}" y="${y.toFixed(1)}" width="${barW}" height="${h.toFixed(1)}" fill="${color(b.name)}"/>`);
      out.push(`<text x="${x + barW / 2}" y="${(y - 4).toFixed(1)}" text-anchor="middle">${esc(v)}</text>`);
      out.push(`<text x="${x + barW / 2}" y="${plotTop + plotH + 16}" text-anchor="middle">${esc(b.name)}</text>`);
    });
    if (p.note) out.push(`<text x="${x0 + 10}" y="${plotTop + plotH + 36}" fill="#555">${esc(p.note)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
