/** One line per warning on stderr, the first `limit` of them, then how many more there were. */
export function warningPrinter(limit = 50) {
  let count = 0;
  return {
    warn(message: string) {
      count++;
      if (count <= limit) console.error(`warning: ${message}`);
    },
    flush() {
      if (count > limit) console.error(`warning: ... and ${count - limit} more warnings`);
    },
    get count() {
      return count;
    },
  };
}
