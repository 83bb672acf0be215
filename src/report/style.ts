// The report's stylesheet, inlined into the page.
export const REPORT_STYLE = `
:root { color-scheme: light; --fg: #1d2430; --muted: #5b6472; --line: #d9dee5; --bad: #b3261e; --bad-bg: #fdecea; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #f6f7f9; }
header { padding: 20px 32px 8px; }
h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: var(--muted); }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px; padding: 16px 32px 32px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; min-width: 0; overflow-x: auto; }
section#requests, section#ladder { grid-column: 1 / -1; }
h2 { margin: 0 0 12px; font-size: 16px; }
.chart { position: relative; height: 240px; margin-bottom: 12px; }
.chart.tall { height: 300px; }
table { border-collapse: collapse; width: 100%; margin-top: 8px; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); font-size: 12px; padding-bottom: 4px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left; }
th { font-size: 13px; }
th { font-weight: 600; background: #f0f2f5; }
td.num { text-align: right; white-space: nowrap; }
tr.below-target td, tr.failed td { background: var(--bad-bg); }
.flag { color: var(--bad); font-weight: 600; font-size: 12px; margin-left: 4px; }
.no-data { color: var(--muted); font-style: italic; }
`;
