/**
 * The one rule for a language tag, used by the site's `language` and an article's `lang`. A
 * simplified BCP 47 shape (a 2–3 letter primary language, then subtags of 1–8 letters or
 * digits): it admits every tag RSS's `<language>`, Atom's `xml:lang` and JSON Feed's `language`
 * need, and refuses text that is clearly not a tag. It does not check the registry.
 */
const LANGUAGE_TAG = /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$/;

export function isLanguageTag(value: string): boolean {
  return LANGUAGE_TAG.test(value);
}

/** Refinement parameters shared by both fields, so both say the same thing. */
export const languageTagIssue = {
  message: 'is not a language tag',
  params: { code: 'invalid-language', hint: 'use a BCP 47 tag such as en, en-GB or pt-BR' },
} as const;
