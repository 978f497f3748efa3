//! Markdown descriptions → safe HTML for the docs site.
//!
//! CommonMark (with tables and strikethrough) through pulldown-cmark, with
//! everything that could run script or make a request taken out before
//! HTML is written:
//!
//! - raw HTML, block or inline, is written as text (escaped), so
//!   `<script>` shows as `<script>`;
//! - a link whose destination is not `http:`, `https:`, `mailto:` or a
//!   relative reference (no scheme) keeps its text and loses the link
//!   (`javascript:`, `data:`, `vbscript:`, …);
//! - images are not loaded (the site makes no request that leaves it): an
//!   image is written as its alt text, linked to its source when that is a
//!   safe link.
//!
//! pulldown-cmark escapes text and attribute values itself; the result is
//! HTML the templates mark safe.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// Whether a link destination is safe to keep: a web or mail URL, or a
/// reference without a scheme (`#anchor`, `page.html`, `../x`).
pub fn safe_url(url: &str) -> bool {
    // Browsers ignore ASCII whitespace and control characters inside a
    // scheme (`java\tscript:`): judge the URL as they read it.
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
        .collect();
    let lower = cleaned.to_ascii_lowercase();
    match lower.find(':') {
        None => true,
        Some(colon) => {
            // A `:` after the first `/`, `?` or `#` is not a scheme.
            let first_sep = lower.find(['/', '?', '#']).unwrap_or(usize::MAX);
            if first_sep < colon {
                return true;
            }
            let scheme = &lower[..colon];
            matches!(scheme, "http" | "https" | "mailto")
        }
    }
}

/// Whether `text` renders as one paragraph of itself: no character that
/// starts markdown syntax or needs escaping, no line break, no leading
/// space or digit (lists, code blocks).
fn is_plain(text: &str) -> bool {
    // The characters that start markdown syntax or need escaping, as a
    // byte table: all are ASCII, so no byte of a longer UTF-8 character
    // matches one.
    const SPECIAL: [bool; 256] = crate::byte_set(b"\n\r*_`[]<>&\\#!|~\"'=-+:{}\t", 0);
    let t = text.trim_end();
    !t.is_empty()
        && !t.starts_with(|c: char| c.is_whitespace() || c.is_ascii_digit())
        && !t.bytes().any(|b| SPECIAL[b as usize])
}

/// Renders `text` (markdown) as safe HTML.
pub fn render(text: &str) -> String {
    // Most descriptions are one plain sentence: the parser would write
    // them unchanged inside <p>.
    if is_plain(text) {
        let t = text.trim_end();
        let mut out = String::with_capacity(t.len() + 8);
        out.push_str("<p>");
        out.push_str(t);
        out.push_str("</p>\n");
        return out;
    }
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let mut events: Vec<Event<'_>> = Vec::new();
    // Links and images whose start was dropped: their end is dropped too.
    let mut dropped: Vec<bool> = Vec::new();
    // Inside an image: its alt text is collected as plain text.
    let mut in_image = 0usize;
    for ev in Parser::new_ext(text, opts) {
        match ev {
            Event::Html(s) | Event::InlineHtml(s) => events.push(Event::Text(s)),
            // A link, or an image shown as a link to its source: kept only
            // when the destination is safe (and not inside another image).
            Event::Start(tag @ (Tag::Link { .. } | Tag::Image { .. })) => {
                let image = matches!(tag, Tag::Image { .. });
                if image {
                    in_image += 1;
                }
                match tag {
                    Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    }
                    | Tag::Image {
                        link_type,
                        dest_url,
                        title,
                        id,
                    } if safe_url(&dest_url) && (!image || in_image == 1) => {
                        dropped.push(false);
                        events.push(Event::Start(Tag::Link {
                            link_type,
                            dest_url,
                            title,
                            id,
                        }));
                    }
                    _ => dropped.push(true),
                }
            }
            Event::End(end @ (TagEnd::Link | TagEnd::Image)) => {
                if end == TagEnd::Image {
                    in_image = in_image.saturating_sub(1);
                }
                if dropped.pop() == Some(false) {
                    events.push(Event::End(TagEnd::Link));
                }
            }
            Event::FootnoteReference(s) => events.push(Event::Text(s)),
            other => events.push(other),
        }
    }
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    html::push_html(&mut out, events.into_iter());
    out
}

/// The first paragraph of `text` as plain text (for summaries in lists),
/// at most `max` characters.
pub fn summary(text: &str, max: usize) -> String {
    let mut out = String::new();
    for ev in Parser::new(text) {
        match ev {
            Event::Text(s) | Event::Code(s) => out.push_str(&s),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_)) => break,
            Event::Html(CowStr::Borrowed(s)) | Event::InlineHtml(CowStr::Borrowed(s)) => {
                out.push_str(s)
            }
            _ => {}
        }
        if out.chars().count() > max {
            break;
        }
    }
    let out = out.trim();
    if out.chars().count() > max {
        let cut: String = out.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    } else {
        out.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn markdown_renders() {
        assert_eq!(render("**bold**"), "<p><strong>bold</strong></p>\n");
        assert!(render("- a\n- b").contains("<li>a</li>"));
        assert!(
            render("[x](https://example.com)").contains("<a href=\"https://example.com\">x</a>")
        );
    }

    #[test]
    fn raw_html_is_text() {
        let out = render("hi <script>alert(1)</script> <img src=x onerror=alert(1)>");
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("<img"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
        let block = render("<div onclick=\"x()\">\n\nhello\n</div>");
        assert!(!block.contains("<div"), "{block}");
    }

    #[test]
    fn unsafe_links_lose_their_link() {
        for url in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "java\tscript:alert(1)",
            " javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:x",
        ] {
            let out = render(&format!("[click](<{url}>)"));
            assert!(!out.contains("<a"), "{url}: {out}");
            assert!(out.contains("click"), "{url}: {out}");
        }
        assert!(render("[a](page.html#x)").contains("href=\"page.html#x\""));
        assert!(render("[a](mailto:x@y.example)").contains("href=\"mailto:"));
    }

    #[test]
    fn images_are_not_loaded() {
        let out = render("![a cat](https://example.com/cat.png)");
        assert!(!out.contains("<img"), "{out}");
        assert!(out.contains("a cat"), "{out}");
        let bad = render("![x](javascript:alert(1))");
        assert!(!bad.contains("<img") && !bad.contains("<a"), "{bad}");
    }

    #[test]
    fn summaries() {
        assert_eq!(
            summary("All **confirmed** orders.\n\nMore.", 80),
            "All confirmed orders."
        );
        assert_eq!(summary("abcdefghij", 5), "abcd…");
    }

    proptest! {
        #[test]
        fn the_plain_fast_path_agrees_with_the_parser(s in "[a-zA-Z0-9 .,;()?/%$@-]{1,60}") {
            if is_plain(&s) {
                let mut opts = Options::empty();
                opts.insert(Options::ENABLE_TABLES);
                opts.insert(Options::ENABLE_STRIKETHROUGH);
                let mut slow = String::new();
                html::push_html(&mut slow, Parser::new_ext(&s, opts));
                prop_assert_eq!(render(&s), slow);
            }
        }

        #[test]
        fn no_tag_survives_unescaped(s in "[<>a-z =\"'/:()\\[\\]!\\n*`-]{0,80}") {
            let out = render(&s);
            // Every `<` in the output opens a tag pulldown-cmark writes
            // itself, never one from the input.
            for (i, _) in out.match_indices('<') {
                let rest = &out[i + 1..];
                let name: String = rest.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
                prop_assert!(
                    ["p", "a", "em", "strong", "code", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "hr", "br", "table", "thead", "tbody", "tr", "th", "td", "del"].contains(&name.as_str()),
                    "unexpected tag <{}> in {:?}", name, out
                );
            }
            prop_assert!(!out.contains("href=\"javascript"));
        }
    }
}
