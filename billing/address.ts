/**
 * An account's postal address: optional fields, each at most 200 characters, stored in the
 * accounts table (migration 140), set by createAccount/updateAccount and by the setup
 * workbook's Accounts sheet, and printed under the invoicer's name on its invoices.
 */

export const ADDRESS_FIELDS = [
  { key: 'addressLine1', column: 'address_line1', header: 'Address Line 1' },
  { key: 'addressLine2', column: 'address_line2', header: 'Address Line 2' },
  { key: 'city', column: 'city', header: 'City' },
  { key: 'region', column: 'region', header: 'Region' },
  { key: 'postalCode', column: 'postal_code', header: 'Postal Code' },
  { key: 'country', column: 'country', header: 'Country' },
] as const;

export type AddressKey = (typeof ADDRESS_FIELDS)[number]['key'];
export type AddressColumn = (typeof ADDRESS_FIELDS)[number]['column'];
export type Address = Record<AddressKey, string | null>;

export const ADDRESS_MAX = 200;

/** The address as printed: street lines, "postal code city", region, country; blank fields left out. */
export function addressLines(a: Partial<Address>): string[] {
  const cityLine = [a.postalCode, a.city].filter(Boolean).join(' ');
  return [a.addressLine1, a.addressLine2, cityLine, a.region, a.country].filter((l): l is string => !!l);
}

/** A row with the address columns (snake_case) as an Address. */
export function addressOf(row: Partial<Record<AddressColumn, string | null>>): Address {
  const out = {} as Address;
  for (const f of ADDRESS_FIELDS) out[f.key] = row[f.column] ?? null;
  return out;
}
