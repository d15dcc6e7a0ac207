/**
 * JSON parsing that reports where a malformed file breaks (line and column), the same in every JS engine
 * (V8's and other engines' `JSON.parse` messages differ and do not always give a position).
 */
import { DatasetInputError } from '../errors.js';
import { JsonSyntaxError } from './errors.js';

/**
 * `JSON.parse` with a {@link JsonSyntaxError} naming `file`, the 1-based line and column and what was found
 * there. A leading byte-order mark is ignored.
 *
 * @example
 * ```ts
 * parseJson('[{"image": "a.tif",}]', 'val.json');
 * // JsonSyntaxError: val.json:1:20: malformed JSON: expected a string key (no trailing commas in JSON), found '}'
 * ```
 */
export function parseJson(text: string, file: string): unknown {
  if (typeof text !== 'string') {
    throw new DatasetInputError(
      'parseJson',
      'text',
      `parseJson: text must be the contents of ${file} as a string, got ${text === null ? 'null' : typeof text}`,
    );
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (e) {
    const { offset, detail } = locateJsonError(body) ?? {
      offset: 0,
      detail: e instanceof Error ? e.message : String(e),
    };
    const { line, column } = lineColumn(body, offset);
    throw new JsonSyntaxError(file, line, column, offset, detail);
  }
}

/** 1-based line and column (in UTF-16 code units) of `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/**
 * A small JSON grammar check that returns the offset of the first error (or null when the text is valid).
 * Iterative (an explicit stack), so deeply nested input cannot overflow the call stack.
 */
export function locateJsonError(text: string): { offset: number; detail: string } | null {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const found = (): string => (i >= n ? 'the end of the file' : `'${text[i]}'`);
  const fail = (what: string) => ({ offset: Math.min(i, n), detail: `expected ${what}, found ${found()}` });

  const string = (): { offset: number; detail: string } | null => {
    // at '"'
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return null;
      }
      if (c === 92) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            i += 2;
            return { offset: i, detail: 'a \\u escape needs 4 hex digits' };
          }
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 2;
        } else {
          return { offset: i, detail: `invalid escape '\\${e ?? ''}' in a string` };
        }
      } else if (c < 32) {
        return { offset: i, detail: 'unescaped control character (e.g. a line break) inside a string' };
      } else {
        i++;
      }
    }
    return { offset: n, detail: 'unterminated string (missing closing quote)' };
  };

  const scalar = (): { offset: number; detail: string } | null => {
    const c = text[i];
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return null;
      }
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 64));
    if (m && m[0].length > 0 && m[0] !== '-') {
      i += m[0].length;
      return null;
    }
    return fail('a value (string, number, object, array, true, false or null)');
  };

  // stack of open containers: '[' or '{'
  const stack: string[] = [];
  ws();
  if (i >= n) return { offset: 0, detail: 'the file is empty' };
  // state machine: expecting a value
  for (;;) {
    ws();
    // parse a value
    const c = text[i];
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
      } else {
        stack.push('[');
        continue;
      }
    } else if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
      } else {
        if (text[i] !== '"') return fail('a string key');
        const err = string();
        if (err) return err;
        ws();
        if (text[i] !== ':') return fail("':' after the key");
        i++;
        stack.push('{');
        continue;
      }
    } else {
      const err = scalar();
      if (err) return err;
    }
    // after a value: close containers or move to the next element
    for (;;) {
      ws();
      const top = stack[stack.length - 1];
      if (top === undefined) {
        if (i < n) return { offset: i, detail: `unexpected ${found()} after the end of the JSON value` };
        return null;
      }
      if (text[i] === ',') {
        i++;
        ws();
        if (top === '{') {
          if (text[i] !== '"') return fail('a string key (no trailing commas in JSON)');
          const err = string();
          if (err) return err;
          ws();
          if (text[i] !== ':') return fail("':' after the key");
          i++;
        } else if (text[i] === ']') {
          return fail('a value (no trailing commas in JSON)');
        }
        break; // parse the next value
      }
      if ((top === '[' && text[i] === ']') || (top === '{' && text[i] === '}')) {
        i++;
        stack.pop();
        continue;
      }
      return fail(top === '[' ? "',' or ']'" : "',' or '}'");
    }
  }
}
