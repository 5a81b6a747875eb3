/**
 * The charts' look: an opaque white background, dark text and colours of at least 3:1 contrast
 * against white (WCAG's ratio for graphics), so an image reads the same in Slack's light and
 * dark themes. The run being reported differs from the others by lightness as well as hue
 * (dark blue against grey), which also holds for colour-blind readers and in greyscale.
 */

/** The family the DejaVu fonts are registered under (billbot's own name: no system font can stand in). */
export const FONT_FAMILY = 'billbot DejaVu Sans';

export const COLORS = {
  background: '#ffffff',
  border: '#d0d7de',
  text: '#1f2328', // 15.8:1 on white
  secondary: '#57606a', // 6.4:1
  grid: '#e1e4e8',
  axis: '#8c959f',
  /** This run's bars and labels. */
  highlight: '#0a4fa8', // 7.8:1
  /** The other runs' bars. */
  other: '#7d8590', // 3.7:1
  /** Aging buckets, from current to the oldest. */
  buckets: ['#1a7f37', '#9a6700', '#bc4c00', '#cf222e', '#82071e', '#4c1d95'], // 5.1, 4.9, 5.0, 5.4, 10.5, 11.0:1
} as const;

export const LAYOUT = {
  /** Every image is this wide; its height follows from its panels. */
  width: 960,
  padding: 20,
  /** Title and subtitle. */
  header: 60,
  /** A panel's title line. */
  panelTitle: 24,
  panelGap: 12,
  footnoteLine: 18,
} as const;

/** Slack's limit on a file's alt text (files.getUploadURLExternal alt_txt: "alt_txt_too_large" past 1,000 characters). */
export const MAX_ALT_TEXT = 1000;
