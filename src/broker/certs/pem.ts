// PEM text encoding (RFC 7468): base64 of the DER between BEGIN/END lines, wrapped at 64 characters
// (the strict form of RFC 7468 §3, which every parser accepts).
const LINE_LENGTH = 64;

export type PemLabel = 'CERTIFICATE';

export function derToPem(label: PemLabel, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += LINE_LENGTH) lines.push(base64.slice(i, i + LINE_LENGTH));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----/g;

/** The DER of every CERTIFICATE block in a PEM text, in file order (a chain file: leaf first). */
export function pemCertificates(text: string): Buffer[] {
  return [...text.matchAll(CERTIFICATE_BLOCK)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}
