import type { ReadKind } from './layout';
import { CellValue, fromCellText } from './xlsx';

/**
 * Turns a cell into the raw value a billing setup row takes, liberal in form: text is
 * trimmed; numbers typed as text become numbers; date cells become 'YYYY-MM-DD'; amounts
 * lose a currency sign and thousands separators; yes/no words become booleans. A blank cell
 * is null. What cannot be read is passed on as text, for billing's check to refuse with
 * the reason.
 */
export function readCell(value: CellValue, kind: ReadKind): unknown {
  if (value === null) return null;
  if (typeof value === 'string') {
    const text = fromCellText(value.trim());
    if (text === '') return null;
    return readText(text, kind);
  }
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'boolean') {
    return kind === 'yesno' ? value : value ? 'TRUE' : 'FALSE';
  }
  // a number
  switch (kind) {
    case 'integer':
      return value;
    case 'yesno':
      return value === 1 ? true : value === 0 ? false : String(value);
    case 'list':
      return [String(value)];
    default:
      return numberText(value);
  }
}

function numberText(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  // Shortest text that reads back as the same number: 99.99 stays "99.99".
  return String(n);
}

const YES = new Set(['yes', 'y', 'true', 'on', '1']);
const NO = new Set(['no', 'n', 'false', 'off', '0']);
const AMOUNT_TEXT = /^[$€£¥]?\s*((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)$/;

function readText(text: string, kind: ReadKind): unknown {
  switch (kind) {
    case 'integer':
      return /^[+-]?\d+(\.0+)?$/.test(text) ? Number(text) : text;
    case 'amount': {
      const m = AMOUNT_TEXT.exec(text);
      return m ? m[1].replace(/,/g, '') : text;
    }
    case 'yesno': {
      const t = text.toLowerCase();
      if (YES.has(t)) return true;
      if (NO.has(t)) return false;
      return text;
    }
    case 'list':
      return text
        .split(/[,;\n]/)
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    default:
      return text;
  }
}
