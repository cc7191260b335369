/**
 * One XSLT 1.0 stylesheet for our RSS and Atom feeds, referenced by an
 * `<?xml-stylesheet?>` instruction in each: a person who opens a feed in a
 * browser sees a page that says what a feed is and how to subscribe, with
 * the latest items, instead of raw XML. Feed readers ignore the instruction.
 *
 * It is written for feedpipe's own output only, and it never emits markup
 * from the feed: titles and summaries are text. Where a feed carries a plain
 * string escaped as HTML (RSS item descriptions, which readers read as HTML;
 * Atom entry titles and summaries, which we declare type="html"), the
 * template `text` undoes exactly the escapes
 * `escapeXml` makes, and the result is output as text again. No
 * disable-output-escaping, which Firefox ignores and which would let feed
 * content write markup into the page.
 *
 * Browsers apply it only from the feed's own origin, hence the relative href.
 */
import { XML_REFERENCES } from '../util/escape.js';

/**
 * The `text` template's cases, one per reference escapeXml writes: made from
 * the same table, so the stylesheet undoes exactly what the feeds escape. In
 * a case, the character is written as stylesheet text ('"' needs no escape
 * there), and the rest of the string starts after the reference.
 */
const UNESCAPES = XML_REFERENCES.map(({ char, named }) => {
  const literal = char === '"' ? char : named;
  const after = `substring($rest, ${named.length})`;
  return `                    <xsl:when test="starts-with($rest, '${named.slice(1)}')">${literal}<xsl:call-template name="text"><xsl:with-param name="s" select="${after}"/></xsl:call-template></xsl:when>`;
}).join('\n');

export const FEED_STYLESHEET = `<?xml version="1.0" encoding="utf-8"?>
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    exclude-result-prefixes="atom">
    <xsl:output method="html" encoding="utf-8" doctype-system="about:legacy-compat" indent="yes"/>

    <xsl:template match="/">
        <xsl:variable name="rss" select="/rss/channel"/>
        <xsl:variable name="atom" select="/atom:feed"/>
        <xsl:variable name="self" select="($rss/atom:link[@rel='self'] | $atom/atom:link[@rel='self'])/@href"/>
        <xsl:variable name="home" select="$rss/link | $atom/atom:link[@rel='alternate']/@href"/>
        <!-- An RFC 5005 archive page: its subscription document is the address to give a reader. -->
        <xsl:variable name="current" select="($rss/atom:link[@rel='current'] | $atom/atom:link[@rel='current'])/@href"/>
        <xsl:variable name="older" select="($rss/atom:link[@rel='prev-archive'] | $atom/atom:link[@rel='prev-archive'])/@href"/>
        <xsl:variable name="newer" select="($rss/atom:link[@rel='next-archive'] | $atom/atom:link[@rel='next-archive'])/@href"/>
        <html lang="{($rss/language | $atom/@xml:lang)[1]}">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="robots" content="noindex"/>
                <title><xsl:call-template name="feed-title"/> (web feed)</title>
                <style>
                    body { font: 17px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 0 auto; padding: 1rem; color: #1d1d1f; background: #fff; }
                    .about { background: #fff7d6; border: 1px solid #e6cf6e; border-radius: 8px; padding: 0.75rem 1rem; }
                    .about h2 { margin-top: 0; font-size: 1.1rem; }
                    code.address { display: block; padding: 0.5rem; background: #fff; border: 1px solid #ccc; border-radius: 4px; overflow-wrap: anywhere; user-select: all; }
                    ol { padding-left: 1.2rem; }
                    li { margin-bottom: 1rem; }
                    time { color: #666; font-size: 0.9rem; }
                    li p { margin: 0.25rem 0 0; }
                    nav.pages { display: flex; gap: 1.5rem; margin: 1rem 0; }
                </style>
            </head>
            <body>
                <section class="about">
                    <h2>This is a web feed</h2>
                    <p>A web feed (RSS or Atom) lets you follow a site in a <strong>feed reader</strong>, also called a news reader or RSS reader: new articles come to you by themselves, with no account or e-mail address to give.</p>
                    <p>To subscribe, copy this address into your feed reader:</p>
                    <code class="address"><xsl:choose><xsl:when test="$current"><xsl:value-of select="$current"/></xsl:when><xsl:otherwise><xsl:value-of select="$self"/></xsl:otherwise></xsl:choose></code>
                    <p>This page is the feed shown for people; your reader fetches the same address as data.</p>
                </section>
                <header>
                    <h1><xsl:call-template name="feed-title"/></h1>
                    <p><xsl:value-of select="$rss/description | $atom/atom:subtitle"/></p>
                    <p><a href="{$home}">Visit the website</a></p>
                </header>
                <main>
                    <h2><xsl:choose><xsl:when test="$current">Archived articles</xsl:when><xsl:otherwise>Latest articles</xsl:otherwise></xsl:choose></h2>
                    <ol>
                        <xsl:apply-templates select="$rss/item | $atom/atom:entry"/>
                    </ol>
                    <xsl:if test="$older or $current">
                        <nav class="pages">
                            <xsl:if test="$current"><a href="{$current}">Latest articles</a></xsl:if>
                            <xsl:if test="$newer"><a href="{$newer}">Newer articles</a></xsl:if>
                            <xsl:if test="$older"><a href="{$older}">Older articles</a></xsl:if>
                        </nav>
                    </xsl:if>
                </main>
            </body>
        </html>
    </xsl:template>

    <!-- RSS titles are plain text, escaped once (publish/rss.ts rssTitle); so is an Atom feed's title. -->
    <xsl:template name="feed-title">
        <xsl:value-of select="/rss/channel/title"/>
        <xsl:value-of select="/atom:feed/atom:title"/>
    </xsl:template>

    <xsl:template match="item">
        <li>
            <a href="{link}"><xsl:value-of select="title"/></a>
            <xsl:text> </xsl:text>
            <!-- RFC 822: "Thu, 02 Apr 2026 08:00:00 GMT" -->
            <time><xsl:value-of select="substring(pubDate, 6, 11)"/></time>
            <p><xsl:call-template name="text"><xsl:with-param name="s" select="description"/></xsl:call-template></p>
        </li>
    </xsl:template>

    <xsl:template match="atom:entry">
        <li>
            <a href="{atom:link[not(@rel) or @rel='alternate'][1]/@href}"><xsl:call-template name="text"><xsl:with-param name="s" select="atom:title"/></xsl:call-template></a>
            <xsl:text> </xsl:text>
            <time datetime="{atom:published}"><xsl:value-of select="substring(atom:published, 1, 10)"/></time>
            <p><xsl:call-template name="text"><xsl:with-param name="s" select="atom:summary"/></xsl:call-template></p>
        </li>
    </xsl:template>

    <!-- Undoes escapeXml (${XML_REFERENCES.map((r) => r.named).join(' ')}) and outputs text, never markup. -->
    <xsl:template name="text">
        <xsl:param name="s"/>
        <xsl:choose>
            <xsl:when test="contains($s, '&amp;')">
                <xsl:value-of select="substring-before($s, '&amp;')"/>
                <xsl:variable name="rest" select="substring-after($s, '&amp;')"/>
                <xsl:choose>
${UNESCAPES}
                    <xsl:otherwise>&amp;<xsl:call-template name="text"><xsl:with-param name="s" select="$rest"/></xsl:call-template></xsl:otherwise>
                </xsl:choose>
            </xsl:when>
            <xsl:otherwise><xsl:value-of select="$s"/></xsl:otherwise>
        </xsl:choose>
    </xsl:template>
</xsl:stylesheet>
`;
