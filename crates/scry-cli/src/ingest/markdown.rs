//! Markdown → sections at ATX headings (`#` … `######`), with inline markup reduced to text.

use super::Section;

/// Removes `<!-- … -->` comments (they may span lines).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("<!--") {
        out.push_str(&rest[..i]);
        match rest[i + 4..].find("-->") {
            Some(j) => rest = &rest[i + 4 + j + 3..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Inline Markdown → plain text: code spans, links, images, emphasis, inline HTML tags.
pub fn inline(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '`' => {
                // Code span: copy verbatim up to the closing run of the same length.
                let run = chars[i..].iter().take_while(|&&x| x == '`').count();
                let close = (i + run..chars.len()).find(|&j| {
                    chars[j..].iter().take_while(|&&x| x == '`').count() == run
                        && (j == 0 || chars[j - 1] != '`')
                });
                match close {
                    Some(j) => {
                        out.extend(chars[i + run..j].iter());
                        i = j + run;
                    }
                    None => {
                        i += run;
                    }
                }
            }
            '!' if chars.get(i + 1) == Some(&'[') => i += 1,
            '[' => {
                // [text](url) or [text][ref] or [text] → text
                let Some(close) = (i + 1..chars.len()).find(|&j| chars[j] == ']') else {
                    out.push(c);
                    i += 1;
                    continue;
                };
                let label: String = chars[i + 1..close].iter().collect();
                out.push_str(&inline(&label));
                i = close + 1;
                if let Some(&open) = chars.get(i)
                    && (open == '(' || open == '[')
                {
                    let end = if open == '(' { ')' } else { ']' };
                    if let Some(j) = (i + 1..chars.len()).find(|&j| chars[j] == end) {
                        i = j + 1;
                    }
                }
            }
            '<' => {
                // Inline HTML tag → dropped (but `a < b` stays).
                let is_tag = chars
                    .get(i + 1)
                    .is_some_and(|n| n.is_ascii_alphabetic() || *n == '/');
                match (is_tag, (i + 1..chars.len()).find(|&j| chars[j] == '>')) {
                    (true, Some(j)) => i = j + 1,
                    _ => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            '*' => i += 1,
            '\\' if chars.get(i + 1).is_some_and(|n| n.is_ascii_punctuation()) => {
                out.push(chars[i + 1]);
                i += 2;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn heading(line: &str) -> Option<(u8, &str)> {
    let hashes = line.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let rest = &line[hashes..];
    if !(rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t')) {
        return None;
    }
    Some((hashes as u8, rest.trim().trim_end_matches('#').trim()))
}

fn is_reference_definition(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('[') && t.find("]:").is_some_and(|i| !t[1..i].contains(']'))
}

/// Splits Markdown into sections; text before the first heading is a level-0 section.
pub fn sections(text: &str) -> Vec<Section> {
    let text = strip_comments(text);
    let mut out: Vec<Section> = Vec::new();
    let mut current = Section {
        level: 0,
        title: String::new(),
        anchor: None,
        body: String::new(),
    };
    let mut fence: Option<String> = None;
    let flush = |s: &mut Section, out: &mut Vec<Section>| {
        s.body = s.body.trim().to_owned();
        if s.level > 0 || !s.body.is_empty() {
            out.push(std::mem::replace(
                s,
                Section {
                    level: 0,
                    title: String::new(),
                    anchor: None,
                    body: String::new(),
                },
            ));
        }
    };
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(f) = &fence {
            if trimmed.starts_with(f.as_str()) {
                fence = None;
            } else {
                current.body.push_str(line.trim_end());
                current.body.push('\n');
            }
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(trimmed[..3].to_owned());
            if !current.body.is_empty() && !current.body.ends_with('\n') {
                current.body.push('\n');
            }
            continue;
        }
        if let Some((level, title)) = heading(line) {
            flush(&mut current, &mut out);
            current.level = level;
            current.title = inline(title).trim().to_owned();
            continue;
        }
        if is_reference_definition(line)
            || trimmed.starts_with("|--")
            || trimmed.starts_with("| --")
        {
            continue;
        }
        let mut t = trimmed;
        while let Some(rest) = t.strip_prefix('>') {
            t = rest.trim_start();
        }
        let mut item = false;
        for marker in ["* ", "- ", "+ "] {
            if let Some(rest) = t.strip_prefix(marker) {
                t = rest;
                item = true;
            }
        }
        let plain = inline(t).replace('|', " ");
        let plain = plain.trim();
        if plain.is_empty() {
            // A blank line ends the paragraph.
            if !current.body.is_empty() && !current.body.ends_with('\n') {
                current.body.push('\n');
            }
            continue;
        }
        // Lines of one paragraph are joined with spaces; list items start a new line.
        if item && !current.body.is_empty() && !current.body.ends_with('\n') {
            current.body.push('\n');
        } else if !current.body.is_empty() && !current.body.ends_with('\n') {
            current.body.push(' ');
        }
        current.body.push_str(plain);
    }
    flush(&mut current, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_markup_becomes_text() {
        assert_eq!(
            inline("Use `fs.readFile()` and [the docs](https://x.y)."),
            "Use fs.readFile() and the docs."
        );
        assert_eq!(
            inline("See [`Buffer`][] and ![logo](a.png)"),
            "See Buffer and logo"
        );
        assert_eq!(
            inline("**bold** *em* snake_case <br> a < b"),
            "bold em snake_case  a < b"
        );
        assert_eq!(inline("``code with ` inside``"), "code with ` inside");
        assert_eq!(inline(r"escaped \* star"), "escaped * star");
    }

    #[test]
    fn headings_comments_fences_and_references() {
        let md = "Preamble.\n<!-- YAML\nadded: v1\n-->\n# Title\n\nText [link][ref].\n\n```js\n# not a heading\nconst x = 1;\n```\n\n## Sub ##\n\n> quoted\n* item one\n\n[ref]: https://example.com\n";
        let s = sections(md);
        assert_eq!(s.len(), 3);
        assert_eq!((s[0].level, s[0].body.as_str()), (0, "Preamble."));
        assert_eq!((s[1].level, s[1].title.as_str()), (1, "Title"));
        assert!(s[1].body.contains("# not a heading") && s[1].body.contains("const x = 1;"));
        assert!(!s[1].body.contains("YAML"));
        assert_eq!((s[2].level, s[2].title.as_str()), (2, "Sub"));
        assert_eq!(s[2].body, "quoted\nitem one");
        let wrapped = sections("# T\n\nA sentence that\nwraps over lines.\n\nNext paragraph.\n");
        assert_eq!(
            wrapped[0].body,
            "A sentence that wraps over lines.\nNext paragraph."
        );
    }
}
