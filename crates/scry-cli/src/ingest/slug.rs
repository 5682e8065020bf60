//! Anchors for headings: lower-case ASCII letters and digits, other runs become `-`; repeats
//! get `-1`, `-2`, … (so ids are stable and unique within a page).

use std::collections::HashMap;

/// The slug of `text`: lower-cased, every run of characters other than `[a-z0-9]` (after
/// removing diacritics is not attempted: non-ASCII letters are kept as they are) replaced by `-`,
/// trimmed of `-`.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut dash = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
    }
    out
}

/// Hands out unique slugs within one page.
#[derive(Debug, Default)]
pub struct Slugger {
    seen: HashMap<String, usize>,
}

impl Slugger {
    /// A unique slug for `heading` (`section` when the heading has no letters or digits).
    pub fn slug(&mut self, heading: &str) -> String {
        let base = slug(heading);
        let base = if base.is_empty() {
            "section".to_owned()
        } else {
            base
        };
        self.reserve(&base)
    }

    /// Makes `anchor` unique (suffixing `-1`, `-2`, … on repeats).
    pub fn reserve(&mut self, anchor: &str) -> String {
        let n = self.seen.entry(anchor.to_owned()).or_insert(0);
        let out = if *n == 0 {
            anchor.to_owned()
        } else {
            format!("{anchor}-{n}")
        };
        *n += 1;
        if out != anchor {
            self.seen.entry(out.clone()).or_insert(1);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_simple_and_unique() {
        assert_eq!(
            slug("`fs.readFile(path[, options], callback)`"),
            "fs-readfile-path-options-callback"
        );
        assert_eq!(slug("Class: `stream.Readable`"), "class-stream-readable");
        assert_eq!(slug("  Über uns!  "), "über-uns");
        let mut s = Slugger::default();
        assert_eq!(s.slug("Event: 'close'"), "event-close");
        assert_eq!(s.slug("Event: 'close'"), "event-close-1");
        assert_eq!(s.slug("Event: 'close'"), "event-close-2");
        assert_eq!(s.slug("!!!"), "section");
    }
}
