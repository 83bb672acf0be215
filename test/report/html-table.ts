// Reads the report's tables back in tests: the cells of the first row whose first cell is `first`,
// as text (tags stripped, entities and whitespace as the reader sees them).

export function rowCells(html: string, first: string): string[] | undefined {
  for (const [, row] of html.matchAll(/<tr[^>]*>(.*?)<\/tr>/gs)) {
    const cells = [...row!.matchAll(/<t[dh][^>]*>(.*?)<\/t[dh]>/gs)].map(([, cell]) => cellText(cell!));
    if (cells[0] === first) return cells;
  }
  return undefined;
}

function cellText(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}
