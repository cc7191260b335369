/**
 * The references our escaping writes, in the order it writes them ("&"
 * first, so no reference is escaped twice). XML 1.0 2.4: "&" and "<" must
 * not appear literally in character data or attribute values; ">" is escaped
 * so "]]>" never forms, and '"' so the same text fits a double-quoted
 * attribute. escapeXml, escapeXmlHex and the stylesheet template that undoes
 * escapeXml (publish/xsl.ts) are all made from this one table.
 */
export const XML_REFERENCES = [
  { char: '&', named: '&amp;', hex: '&#x26;' },
  { char: '<', named: '&lt;', hex: '&#x3C;' },
  { char: '>', named: '&gt;', hex: '&#x3E;' },
  { char: '"', named: '&quot;', hex: '&#x22;' },
] as const;

function escaper(form: 'named' | 'hex'): (text: string) => string {
  const steps = XML_REFERENCES.map((r) => ({ pattern: new RegExp(r.char, 'g'), reference: r[form] }));
  return (text) => {
    for (const { pattern, reference } of steps) text = text.replace(pattern, reference);
    return text;
  };
}

/** Escapes text for XML and HTML, in element content and in double-quoted attribute values alike. */
export const escapeXml = escaper('named');

/**
 * The same with hexadecimal references (`&#x26;`), which parsers read exactly
 * like `&amp;` but which the RSS Advisory Board and the W3C validator take as
 * the mark of plain text in RSS.
 */
export const escapeXmlHex = escaper('hex');

/**
 * A double-quoted XML attribute value. Attribute-value normalisation (XML 1.0
 * 3.3.3) turns a literal tab, LF or CR into a space; as character references
 * they survive.
 */
export function escapeXmlAttribute(text: string, escape: (text: string) => string = escapeXml): string {
  return escape(text).replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}
