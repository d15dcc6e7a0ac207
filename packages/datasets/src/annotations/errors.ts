/**
 * Errors of the annotation loaders: they name the file, the entry and what is wrong.
 */
import type { LoadIssue } from './dataset_types.js';

/** An annotation file that cannot be loaded (strict policy), with every problem found. */
export class AnnotationError extends Error {
  override name = 'AnnotationError';
  /** The file that failed. */
  readonly file: string;
  /** Every problem found (strict mode collects them all before throwing). */
  readonly issues: readonly LoadIssue[];

  constructor(file: string, issues: readonly LoadIssue[], headline?: string) {
    const errors = issues.filter((i) => i.severity === 'error');
    const shown = errors.slice(0, 10).map(formatIssue);
    const more = errors.length > 10 ? [`… and ${errors.length - 10} more`] : [];
    const head =
      headline ??
      `${file}: ${errors.length} bad entr${errors.length === 1 ? 'y' : 'ies'} ` +
        "(pass { policy: 'lenient' } to skip them and get them in dataset.issues)";
    // a custom headline says it all (one issue); the default one is followed by the list
    const lines = headline === undefined ? [...shown, ...more].map((s) => `  ${s}`) : [];
    super([head, ...lines].join('\n'));
    this.file = file;
    this.issues = issues;
  }
}

/** A JSON file that does not parse; `line` and `column` are 1-based. */
export class JsonSyntaxError extends AnnotationError {
  readonly line: number;
  readonly column: number;
  readonly offset: number;

  constructor(file: string, line: number, column: number, offset: number, detail: string) {
    const issue: LoadIssue = {
      severity: 'error',
      file,
      where: `line ${line}, column ${column}`,
      message: `malformed JSON: ${detail}`,
    };
    super(file, [issue], `${file}:${line}:${column}: malformed JSON: ${detail}`);
    this.name = 'JsonSyntaxError';
    this.line = line;
    this.column = column;
    this.offset = offset;
  }
}

/** `file: where (image): message`. */
export function formatIssue(issue: LoadIssue): string {
  const image = issue.image !== undefined ? ` (${issue.image})` : '';
  return `${issue.file}: ${issue.where}${image}: ${issue.message}`;
}
