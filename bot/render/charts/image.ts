import { plural } from '../kit';
import { MAX_ALT_TEXT } from './theme';

/** A chart ready to upload or write: the PNG, its size, and what states its figures in words. */
export interface ChartImage {
  png: Buffer;
  width: number;
  height: number;
  /** Every figure the image shows, in words (a screen reader gets the same information); at most MAX_ALT_TEXT characters. */
  altText: string;
  /** The file's title in Slack. */
  title: string;
  filename: string;
}

/**
 * Alt text within Slack's limit: the head, then the items of the first variant whose whole
 * text fits (variants go from fullest to shortest); when even the shortest does not fit, its
 * first items are left out and counted ("3 earlier runs left out").
 */
export function fitAltText(head: string, variants: string[][], leftOut: [one: string, many: string]): string {
  for (const items of variants) {
    const text = [head, ...items].join(' ');
    if (text.length <= MAX_ALT_TEXT) return text;
  }
  const items = variants[variants.length - 1] ?? [];
  for (let drop = 1; drop <= items.length; drop++) {
    const text = [head, `(${plural(drop, ...leftOut)} left out.)`, ...items.slice(drop)].join(' ');
    if (text.length <= MAX_ALT_TEXT) return text;
  }
  return head.length <= MAX_ALT_TEXT ? head : `${head.slice(0, MAX_ALT_TEXT - 1)}…`;
}

/** A file name part: lower case letters and digits joined by hyphens ("monthly-billing"). */
export function fileSlug(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'chart'
  );
}
