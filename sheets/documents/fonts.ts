import { readFileSync } from 'node:fs';

/**
 * The documents' font: DejaVu Sans (the registry package dejavu-fonts-ttf, installed by
 * npm ci, never committed), embedded as a subset in every PDF. It has Latin with accents,
 * Greek and Cyrillic. A character it has no glyph for is never dropped silently: `visible`
 * writes it as its code point, [U+1F600], and the document says so in a note.
 */

export const FONTS = { regular: 'DejaVuSans.ttf', bold: 'DejaVuSans-Bold.ttf' } as const;
export type FontName = keyof typeof FONTS;

const loaded = new Map<FontName, Buffer>();

/** The font file's bytes, read once per process. */
export function fontBytes(name: FontName): Buffer {
  let bytes = loaded.get(name);
  if (!bytes) {
    bytes = readFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${FONTS[name]}`));
    loaded.set(name, bytes);
  }
  return bytes;
}

/**
 * The font to register in a document: its bytes the first time, then the font pdfkit parsed
 * from them (pdfkit takes a parsed font too). Parsing DejaVu and laying out text with it
 * anew cost 45 ms a document; shared, a document takes about 15 ms. Each document still
 * embeds its own subset, so what it contains does not depend on the documents before it.
 */
const parsed = new Map<FontName, GlyphCoverage>();

export function fontSource(name: FontName): Buffer | GlyphCoverage {
  return parsed.get(name) ?? fontBytes(name);
}

/** Keeps the font a document parsed (pdfkit's font object's `font`) for the next documents. */
export function keepParsed(name: FontName, font: GlyphCoverage): void {
  if (!parsed.has(name)) parsed.set(name, font);
}

/**
 * Word layouts (fontkit's shaping of a word into glyphs and advances) shared by the documents,
 * per font: pdfkit keeps one cache per document (`layoutCache` of its font object), so every
 * document laid out "Managed", "Network" and each amount anew. A layout depends only on the
 * font and the text, so sharing it changes no byte. Emptied past 20,000 words.
 */
const layouts = new Map<FontName, Record<string, unknown>>();
const LAYOUTS_MAX = 20_000;

export function sharedLayouts(name: FontName): Record<string, unknown> {
  let cache = layouts.get(name);
  if (!cache || Object.keys(cache).length > LAYOUTS_MAX) {
    cache = Object.create(null) as Record<string, unknown>;
    layouts.set(name, cache);
  }
  return cache;
}

/** What a font can draw (fontkit's font, as pdfkit holds it). */
export interface GlyphCoverage {
  hasGlyphForCodePoint(codePoint: number): boolean;
}

/** The text with each character the font lacks written as [U+XXXX]; `missing` counts them, `first` is the first so written. */
export function visible(text: string, font: GlyphCoverage): { text: string; missing: number; first: string | null } {
  let missing = 0;
  let first: string | null = null;
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0x0a || font.hasGlyphForCodePoint(cp)) {
      out += ch;
    } else {
      missing++;
      const code = `[U+${cp.toString(16).toUpperCase().padStart(4, '0')}]`;
      first ??= code;
      out += code;
    }
  }
  return { text: out, missing, first };
}
