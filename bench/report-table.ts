/** What the report's sections share (bench/report.ts): their type and the Markdown table. */
import type { BenchResults } from './results.ts';

/** One section of the report: its Markdown lines, or nothing when its part did not run. */
export type Section = (r: BenchResults) => string[];

/** A Markdown table; columns of numbers align right, text columns left. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) =>
    rows.every((r) => r[i] === undefined || r[i] === '' || /^[-\d.,/×% ]+$/.test(String(r[i]))),
  );
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(headers), sep, ...cells.slice(1).map(line)].join('\n');
}
