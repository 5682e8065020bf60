//! HTML → sections at `<h1>`…`<h6>`: tags dropped, `<script>`/`<style>`/`<nav>` skipped,
//! entities decoded, heading `id`s kept as anchors. A tolerant scanner, not a full parser.

use super::Section;

/// Decodes the common named entities and numeric references.
pub fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.bytes().take(12).position(|b| b == b';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..end];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" | "#39" => Some('\''),
            "nbsp" => Some(' '),
            "ndash" => Some('–'),
            "mdash" => Some('—'),
            "hellip" => Some('…'),
            "rsquo" => Some('’'),
            "lsquo" => Some('‘'),
            "rdquo" => Some('”'),
            "ldquo" => Some('“'),
            n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                .ok()
                .and_then(char::from_u32),
            n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let i = lower.find(&format!(" {name}="))? + name.len() + 2;
    let rest = &tag[i..];
    let (quote, body) = match rest.chars().next()? {
        q @ ('"' | '\'') => (Some(q), &rest[1..]),
        _ => (None, rest),
    };
    let end = match quote {
        Some(q) => body.find(q)?,
        None => body
            .find(|c: char| c.is_whitespace() || c == '>')
            .unwrap_or(body.len()),
    };
    Some(decode_entities(&body[..end]))
}

/// Splits HTML into sections.
pub fn sections(html: &str) -> Vec<Section> {
    let mut out = Vec::new();
    let mut current = Section {
        level: 0,
        title: String::new(),
        anchor: None,
        body: String::new(),
    };
    let mut heading: Option<(u8, Option<String>, String)> = None;
    // Element being skipped (script, navigation chrome) and how deeply it nests in itself.
    let mut skip_until: Option<(String, usize)> = None;
    let mut pending_id: Option<String> = None;
    let lower = html.to_ascii_lowercase();
    let mut i = 0;
    let bytes = html.as_bytes();
    let push_text =
        |text: &str, heading: &mut Option<(u8, Option<String>, String)>, current: &mut Section| {
            let t = decode_entities(text);
            match heading {
                Some((_, _, h)) => h.push_str(&t),
                None => current.body.push_str(&t),
            }
        };
    while i < bytes.len() {
        if bytes[i] != b'<' {
            let next = html[i..].find('<').map_or(html.len(), |j| i + j);
            if skip_until.is_none() {
                push_text(&html[i..next], &mut heading, &mut current);
            }
            i = next;
            continue;
        }
        if lower[i..].starts_with("<!--") {
            i = lower[i..].find("-->").map_or(html.len(), |j| i + j + 3);
            continue;
        }
        let Some(end) = html[i..].find('>').map(|j| i + j) else {
            break;
        };
        let tag = &html[i + 1..end];
        let tag_lower = &lower[i + 1..end];
        let name: String = tag_lower
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let closing = tag_lower.starts_with('/');
        i = end + 1;
        if let Some((skip, depth)) = &mut skip_until {
            if name == *skip && !tag_lower.ends_with('/') {
                if closing {
                    *depth -= 1;
                    if *depth == 0 {
                        skip_until = None;
                    }
                } else {
                    *depth += 1;
                }
            }
            continue;
        }
        let chrome = || {
            attr(tag, "role").is_some_and(|r| r == "navigation" || r == "search")
                || attr(tag, "class").is_some_and(|c| {
                    c.split_whitespace()
                        .any(|c| matches!(c, "sphinxsidebar" | "related" | "footer" | "headerlink"))
                })
        };
        if !closing
            && (matches!(
                name.as_str(),
                "script" | "style" | "nav" | "noscript" | "template" | "header" | "footer"
            ) || chrome())
        {
            skip_until = Some((name, 1));
            continue;
        }
        let level = match name.as_str() {
            "h1" => 1,
            "h2" => 2,
            "h3" => 3,
            "h4" => 4,
            "h5" => 5,
            "h6" => 6,
            // API definitions with an anchor (Sphinx's `<dt id="os.path.join">`) are sections
            // of their own, below any heading.
            "dt" if closing || attr(tag, "id").is_some() => 7,
            _ => 0,
        };
        if name == "dt" && closing && heading.as_ref().is_none_or(|h| h.0 != 7) {
            continue;
        }
        if !closing && matches!(name.as_str(), "section" | "div" | "article") {
            // Sphinx puts a heading's anchor on its enclosing <section id="…">.
            pending_id = attr(tag, "id");
        }
        if level > 0 && !closing {
            let id = attr(tag, "id").or_else(|| if level <= 6 { pending_id.take() } else { None });
            heading = Some((level, id, String::new()));
        } else if level > 0 && closing {
            if let Some((lvl, id, text)) = heading.take() {
                current.body = normalise_ws(&current.body);
                if current.level > 0 || !current.body.is_empty() {
                    out.push(std::mem::replace(
                        &mut current,
                        Section {
                            level: 0,
                            title: String::new(),
                            anchor: None,
                            body: String::new(),
                        },
                    ));
                }
                current.level = lvl;
                current.title = normalise_ws(&text)
                    .replace('\n', " ")
                    .trim_end_matches('¶')
                    .trim()
                    .to_owned();
                current.anchor = id;
            }
        } else if heading.is_none()
            && matches!(
                name.as_str(),
                "p" | "br" | "li" | "div" | "tr" | "pre" | "dd" | "dt"
            )
        {
            current.body.push('\n');
        } else if let Some((_, id, _)) = &mut heading
            && id.is_none()
            && name == "a"
        {
            *id = attr(tag, "id").or_else(|| attr(tag, "name"));
        }
    }
    current.body = normalise_ws(&current.body);
    if current.level > 0 || !current.body.is_empty() {
        out.push(current);
    }
    out
}

/// Collapses spaces within lines and blank lines to one.
fn normalise_ws(s: &str) -> String {
    let lines: Vec<String> = s
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_text_entities_and_skipped_elements() {
        let html = r##"<html><head><style>h1{}</style><script>var x = "<h1>";</script></head><body>
<nav>Menu</nav><div class="sphinxsidebar" role="navigation"><div><h3>Next topic</h3></div></div><h1 id="top">File &amp; system<a class="headerlink" href="#top">¶</a></h1>
<p>Intro &lt;here&gt; &#169; &#x263A;</p><!-- note -->
<h2><a name="api"></a>API</h2><ul><li>one</li><li>two</li></ul></body></html>"##;
        let s = sections(html);
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].level, s[0].title.as_str(), s[0].anchor.as_deref()),
            (1, "File & system", Some("top"))
        );
        assert_eq!(s[0].body, "Intro <here> © ☺");
        assert_eq!(
            (s[1].title.as_str(), s[1].anchor.as_deref()),
            ("API", Some("api"))
        );
        assert_eq!(s[1].body, "one\ntwo");
        let sphinx = sections(
            r##"<section id="module-os.path"><h1>os.path<a class="headerlink" href="#x">¶</a></h1><p>Paths.</p></section>"##,
        );
        assert_eq!(
            (sphinx[0].title.as_str(), sphinx[0].anchor.as_deref()),
            ("os.path", Some("module-os.path"))
        );
        let api = sections(
            r##"<h2 id="m">Module</h2><p>Intro.</p><dl><dt id="os.path.join"><code>os.path.join</code>(<em>path</em>)<a class="headerlink" href="#os.path.join">¶</a></dt><dd><p>Join paths.</p></dd><dt>no id</dt><dd>Plain term.</dd></dl>"##,
        );
        assert_eq!(api.len(), 2);
        assert_eq!(
            (
                api[1].level,
                api[1].title.as_str(),
                api[1].anchor.as_deref()
            ),
            (7, "os.path.join(path)", Some("os.path.join"))
        );
        assert!(api[1].body.starts_with("Join paths."));
        assert!(
            !s.iter()
                .any(|x| x.body.contains("Menu") || x.body.contains("var x"))
        );
    }
}
