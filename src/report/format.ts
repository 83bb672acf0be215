// Small HTML building blocks for the report. Every string that may come from the database goes
// through escapeHtml; numbers are formatted here so tables and tests agree on one notation.

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const integerFormat = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 });

/** 12345.678 -> "12,345.68" */
export function num(value: number): string {
  return integerFormat.format(value);
}

/** 92.5 -> "92.5%" */
export function pct(value: number): string {
  return `${integerFormat.format(value)}%`;
}

/** An ISO instant -> "2026-03-02 06:00 UTC" (the report is read by people in one place; UTC is unambiguous). */
export function utc(iso: string | null): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '';
}

export function statusLabel(status: number | null): string {
  return status === null ? 'no response' : String(status);
}

/** A cell: already-escaped HTML plus an optional class ("num" right-aligns numbers). */
export interface Cell {
  html: string;
  className?: string;
}

export const text = (value: unknown): Cell => ({ html: escapeHtml(value) });
export const number = (value: number): Cell => ({ html: num(value), className: 'num' });

export interface TableRow {
  cells: Cell[];
  className?: string;
}

/** An accessible table: caption, column headers with scope, numbers right-aligned. */
export function table(caption: string, headers: string[], rows: TableRow[]): string {
  const head = headers.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((row) => {
      const cells = row.cells.map((c) => `<td${classAttr(c.className)}>${c.html}</td>`).join('');
      return `<tr${classAttr(row.className)}>${cells}</tr>`;
    })
    .join('\n');
  return `<table>
<caption>${escapeHtml(caption)}</caption>
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table>`;
}

function classAttr(className: string | undefined): string {
  return className ? ` class="${escapeHtml(className)}"` : '';
}

/** A chart slot: the client script draws into the canvas with this id. */
export function chart(id: string, label: string, tall = false): string {
  return `<div class="chart${tall ? ' tall' : ''}"><canvas id="${escapeHtml(id)}" role="img" aria-label="${escapeHtml(label)}"></canvas></div>`;
}

export function noData(message: string): string {
  return `<p class="no-data">${escapeHtml(message)}</p>`;
}
