/**
 * Errors of the annotation loaders: they name the file, the entry and what is wrong.
 */
import { PirError } from '@pir/runtime/errors';
import type { LoadIssue } from './dataset_types.js';

/**
 * An annotation file that cannot be loaded (strict policy), with every problem found.
 *
 * `where` (and `file`) name the file; `argument` names the bad entry (`'[17]'`, `'images[3].sentences[2]'`,
 * `'line 12'`) when there is exactly one, and is `''` when there are several (all of them are in `issues`).
 *
 * @example
 * ```ts
 * try {
 *   loadPirJson(text, { file: 'rsitmd_train.json' });
 * } catch (e) {
 *   if (e instanceof AnnotationError) for (const issue of e.issues) console.error(formatIssue(issue));
 * }
 * ```
 */
export class AnnotationError extends PirError {
  /** The file that failed (the same as {@link PirError.where}). */
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
    // the head starts with `${file}:`, so PirError keeps the message as it is
    super(file, errors.length === 1 ? (errors[0] as LoadIssue).where : '', [head, ...lines].join('\n'));
    this.name = 'AnnotationError';
    this.file = file;
    this.issues = issues;
  }
}

/**
 * A JSON file that does not parse; `line` and `column` are 1-based, `offset` is the 0-based character
 * offset. `where` is the file, `argument` `'line L, column C'`.
 */
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
