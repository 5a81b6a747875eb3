/**
 * The company a document is from: its header (name, address, logo) and its footer (payment
 * instructions, say). bot/config.ts reads it from the environment (BILLBOT_COMPANY_NAME,
 * BILLBOT_COMPANY_ADDRESS, BILLBOT_COMPANY_LOGO, BILLBOT_INVOICE_FOOTER) and checks it at
 * start; these are the defaults.
 */
export interface CompanyHeader {
  name: string;
  /** Printed lines, top to bottom. */
  address: string[];
  /** A PNG or JPEG image (the logo file's bytes, read once at start), or null. */
  logo: Buffer | null;
  /** Printed at the foot of every page; "\n" starts a new line. */
  footer: string;
}

export const DEFAULT_COMPANY: CompanyHeader = {
  name: 'billbot',
  address: [],
  logo: null,
  footer: 'Thank you for your business.',
};

/** The kinds of image a logo may be, told by the file's first bytes. */
export function imageKind(bytes: Buffer): 'png' | 'jpeg' | null {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}
