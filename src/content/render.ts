import { escapeXml } from '../util/escape.js';
import { remark } from 'remark';
import remarkGfm from 'remark-gfm';
import remarkHtml from 'remark-html';
import { gfmAutolinkLiteralFromMarkdown } from 'mdast-util-gfm-autolink-literal';
import { defaultSchema, type Schema } from 'hast-util-sanitize';
import { diagnostic, type Diagnostic, type DiagnosticCode } from '../diagnostics/diagnostics.js';
import type { Article } from './schema.js';

/** Feed readers follow only these; `javascript:`, `data:`, `file:` and friends never reach a reader. */
const LINK_PROTOCOLS = ['http', 'https', 'mailto'];
const IMAGE_PROTOCOLS = ['http', 'https'];

const schema: Schema = {
  ...defaultSchema,
  // mdast-util-to-hast already prefixes footnote ids with `user-content-`; a second
  // prefix from the sanitizer would break every footnote link.
  clobberPrefix: '',
  // The W3C feed validator flags aria-* in feed content (SecurityRiskAttr); only footnotes make them.
  attributes: Object.fromEntries(
    Object.entries(defaultSchema.attributes ?? {}).map(([tag, list]) => [tag, list.filter((a) => !String(Array.isArray(a) ? a[0] : a).startsWith('aria'))]),
  ),
  protocols: { ...defaultSchema.protocols, href: LINK_PROTOCOLS, cite: ['http', 'https'], src: IMAGE_PROTOCOLS, longDesc: ['http', 'https'] },
};

/**
 * remark-gfm finds literal autolinks (`www.x.example`, `https://…`, `desk@x.example`) in
 * a transform of the finished tree (mdast-util-gfm-autolink-literal): four regular
 * expressions, each run over every text node outside links, the e-mail one tried at
 * every character. It is a quarter of parsing ordinary prose, where it finds nothing.
 * Every match holds `http://`, `https://` or `www.` (any case) or an `@`, within one
 * text node's value (after character references are decoded, so `&#64;` counts): where
 * no text node holds one, the transform cannot change the tree and is not run. The
 * differential test in test/content/render.test.ts holds this to remark-gfm as it is.
 */
const literalTransform = gfmAutolinkLiteralFromMarkdown().transforms?.[0] as unknown as TreeTransform | undefined;
const MAY_HOLD_LITERAL = /@|https?:\/\/|www\./i;

function mayHoldLiteral(node: MdNode): boolean {
  if (node.type === 'text') return MAY_HOLD_LITERAL.test(node.value ?? '');
  const children = node.children;
  if (children) for (let i = 0; i < children.length; i++) if (mayHoldLiteral(children[i]!)) return true;
  return false;
}

type TreeTransform = (tree: MdNode) => MdNode | undefined | void;
type FromMarkdownExtension = { transforms?: TreeTransform[] };
type Extensions = (FromMarkdownExtension | Extensions)[];

function autolinkLiteralsWhereTheyCanBe(this: { data(): unknown }) {
  const data = this.data() as { fromMarkdownExtensions?: Extensions };
  let guarded = 0;
  const guard = (list: Extensions): Extensions =>
    list.map((ext) => {
      if (Array.isArray(ext)) return guard(ext);
      if (!ext.transforms?.includes(literalTransform!)) return ext;
      guarded++;
      return { ...ext, transforms: ext.transforms.map((t) => (t === literalTransform ? (tree: MdNode) => (mayHoldLiteral(tree) ? t(tree) : undefined) : t)) };
    });
  data.fromMarkdownExtensions = guard(data.fromMarkdownExtensions ?? []);
  // Locked together (package-lock.json), remark-gfm and mdast-util-gfm-autolink-literal share the
  // transform. An install where they do not (two copies) only parses slower: the test of
  // `autolinkPassGuarded` says so, never a crash.
  autolinkPassGuarded = guarded === 1;
}

/** Whether the literal-autolink pass runs only where it can find something (see above): a test pins it. */
export let autolinkPassGuarded = false;

// Sanitizing is never turned off: raw HTML in Markdown is dropped, attributes are allow-listed.
const processor = remark().use(remarkGfm).use(autolinkLiteralsWhereTheyCanBe).use(remarkHtml, { sanitize: schema });

/**
 * GFM constructs a body cannot contain, left out of its parser: micromark
 * tries them everywhere, and the trees are identical without them
 * (test/render.test.ts checks this differentially).
 *
 * - The e-mail autolink literal can only match text with an `@`, yet is tried
 *   at the start of every word: a third of all parsing.
 * - A table needs a delimiter row: a line of only `-`, `:`, `|` and blanks,
 *   with a `-` and a `:` or `|` (`a` over `:-` is a one-column table), after
 *   the `>` and indentation of the containers it sits in. The construct is
 *   tried at every paragraph line and scans it: another quarter of parsing.
 */
const SKIPPABLE = {
  emailAutolink: (body: string) => !body.includes('@'),
  table: (body: string) => !/^[ \t>]*(?=[-:| \t\r]*-)(?=[-:| \t\r]*[:|])[-:| \t\r]+$/m.test(body),
};

const processors = new Map<string, typeof processor>([['', processor]]);

function processorWithout(names: readonly string[]): typeof processor {
  const key = names.join(',');
  let p = processors.get(key);
  if (!p) {
    p = remark()
      .use(remarkGfm)
      .use(autolinkLiteralsWhereTheyCanBe)
      .use(function withoutConstructs(this: { data(): unknown }) {
        const data = this.data() as { micromarkExtensions?: MicromarkExtension[] };
        data.micromarkExtensions = (data.micromarkExtensions ?? []).map((ext) => withoutConstruct(ext, names));
      })
      .use(remarkHtml, { sanitize: schema });
    processors.set(key, p);
  }
  return p;
}

type Construct = { name?: string };
type MicromarkExtension = Record<string, Record<string, Construct | Construct[] | undefined> | unknown>;

function withoutConstruct(ext: MicromarkExtension, names: readonly string[]): MicromarkExtension {
  const out: MicromarkExtension = { ...ext };
  for (const kind of ['text', 'flow'] as const) {
    const table = ext[kind] as Record<string, Construct | Construct[] | undefined> | undefined;
    if (!table) continue;
    const kept: Record<string, Construct[]> = {};
    for (const [code, value] of Object.entries(table)) {
      const list = (Array.isArray(value) ? value : value ? [value] : []).filter((c) => !names.includes(c.name ?? ''));
      if (list.length) kept[code] = list;
    }
    out[kind] = kept;
  }
  return out;
}

/** The processor for `body`: exported for the differential test. */
export function processorFor(body: string): typeof processor {
  return processorWithout((Object.keys(SKIPPABLE) as (keyof typeof SKIPPABLE)[]).filter((name) => SKIPPABLE[name](body)));
}

export interface RenderedArticle {
  /** Sanitized HTML with every URL absolute. */
  html: string;
  /** Plain-text summary: the frontmatter `summary`, or the body's first paragraph. */
  summary: string;
  diagnostics: Diagnostic[];
}

interface MdNode {
  type: string;
  url?: string;
  value?: string;
  alt?: string;
  children?: MdNode[];
  position?: { start: { line: number; column: number } };
}

export const SUMMARY_MAX = 300;

export function renderArticle(article: Article, body = article.source.body): RenderedArticle {
  const diagnostics: Diagnostic[] = [];
  const { source } = article;
  const warn = (node: MdNode, code: DiagnosticCode, message: string, hint: string) =>
    diagnostics.push(
      diagnostic({
        code,
        severity: 'warning',
        file: source.displayPath,
        line: (node.position?.start.line ?? 1) + source.bodyLine - 1,
        column: node.position?.start.column ?? 1,
        message,
        hint,
      }),
    );
  if (body === undefined) throw new Error(`${source.displayPath}: body not loaded`);
  const processor = processorFor(body);
  const tree = processor.parse(body) as MdNode;
  // Readers and e-mail gateways ignore xml:base: every link must be absolute in the content itself.
  walk(tree, (node) => {
    if (node.type === 'html') {
      warn(node, 'raw-html-removed', 'raw HTML is not published: feed content is sanitized', 'write it in Markdown');
    } else if (node.url !== undefined && (node.type === 'link' || node.type === 'image' || node.type === 'definition')) {
      const absolute = absolutize(node.url, article.url);
      const allowed = node.type === 'image' ? IMAGE_PROTOCOLS : LINK_PROTOCOLS;
      if (!absolute || !allowed.includes(new URL(absolute).protocol.slice(0, -1))) {
        warn(node, 'unsafe-url-removed', `${node.type === 'image' ? 'image source' : 'link'} "${truncate(node.url, 60)}" is removed: only ${allowed.join(', ')} URLs are published`, 'use an http(s) URL or a path relative to the article');
        // A link keeps its text; an image or definition with a refused URL goes.
        return node.type === 'link' ? 'unwrap' : 'remove';
      } else {
        node.url = absolute;
      }
    }
    return undefined;
  });
  const hast = processor.runSync(tree as never);
  let html = String(processor.stringify(hast as never)).trim();
  // Footnote links are generated after our walk as bare fragments; readers resolve
  // them against the feed, not the article, so they become absolute too.
  html = html.replaceAll('href="#', `href="${escapeXml(article.url)}#`);
  if (article.image) {
    html = `<figure><img src="${escapeXml(article.image.url)}" alt="${escapeXml(article.image.alt)}"></figure>\n${html}`;
  }
  const summary = article.summary ?? summarize(firstParagraphText(tree));
  return { html, summary, diagnostics };
}

export function absolutize(url: string, base: string): string | undefined {
  try {
    return new URL(url.trim(), base).toString();
  } catch {
    return undefined;
  }
}

type Edit = 'unwrap' | 'remove' | undefined;

function walk(node: MdNode, visit: (node: MdNode) => Edit): void {
  const children = node.children;
  if (!children) return;
  for (let i = 0; i < children.length; i++) {
    const child = children[i]!;
    const edit = visit(child);
    if (edit === 'remove') children.splice(i--, 1);
    else if (edit === 'unwrap') children.splice(i--, 1, ...(child.children ?? []));
    else walk(child, visit);
  }
}

function firstParagraphText(tree: MdNode): string {
  const para = tree.children?.find((n) => n.type === 'paragraph' && plainText(n).trim());
  return para ? plainText(para) : '';
}

function plainText(node: MdNode): string {
  if (node.type === 'text' || node.type === 'inlineCode') return node.value ?? '';
  if (node.type === 'break') return ' ';
  if (node.type === 'image' || node.type === 'footnoteReference') return '';
  return (node.children ?? []).map(plainText).join('');
}

/** Whole words up to SUMMARY_MAX characters, with an ellipsis when cut. */
export function summarize(text: string): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (clean.length <= SUMMARY_MAX) return clean;
  const cut = clean.slice(0, SUMMARY_MAX - 1);
  const space = cut.lastIndexOf(' ');
  return (space > SUMMARY_MAX / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.–—-]+$/, '') + '…';
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

