import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';

/** Thrown by {@link parseJson}: what is wrong, with its line and column. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

const WORDS: Partial<Record<string, string>> = {
  InvalidSymbol: 'unexpected',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfNumber: 'a number is cut short',
  InvalidUnicode: 'an invalid unicode escape',
  PropertyNameExpected: 'a property name in double quotes is expected',
  ValueExpected: 'a value is expected',
  CommaExpected: 'a comma is expected',
  ColonExpected: 'a colon is expected',
  CloseBraceExpected: 'a closing } is expected',
  CloseBracketExpected: 'a closing ] is expected',
  EndOfFileExpected: 'nothing may follow the JSON value',
  InvalidNumberFormat: 'not a valid number',
  UnexpectedEndOfString: 'a string is not closed',
  UnexpectedEndOfComment: 'a comment is not closed',
  InvalidEscapeCharacter: 'an invalid escape in a string',
  InvalidCharacter: 'a character that strings may not hold (escape it)',
};

/**
 * JSON.parse with located errors: a byte-order mark is accepted; anything else that is not
 * JSON (comments, NaN or Infinity, trailing commas, single quotes) is reported with its line and
 * column and what was found there, which JSON.parse's own messages often lack.
 */
export function parseJson(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (e) {
    const errors: ParseError[] = [];
    parse(body, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    const offset = first ? first.offset : 0;
    const before = body.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    const found = first ? body.slice(first.offset, first.offset + Math.max(1, first.length)).slice(0, 20) : '';
    const code = first ? printParseErrorCode(first.error) : '';
    const what = !first
      ? (e as Error).message
      : code === 'InvalidSymbol'
        ? `unexpected ${JSON.stringify(found)}${/^(NaN|-?Infinity)/.test(found) ? ' (JSON has no NaN or Infinity; use a number or null)' : found.startsWith("'") ? ' (JSON strings use double quotes)' : ''}`
        : (WORDS[code] ?? code);
    throw new JsonSyntaxError(`not valid JSON at line ${line}, column ${column}: ${what}`, line, column);
  }
}
