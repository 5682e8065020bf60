//! Code-aware splitting of identifiers: `parseHTTPResponse` → parse, HTTP, Response;
//! `snake_case` → snake, case; `fs.readFile` → fs, readFile (→ read, File).

/// Characters that separate the segments of a compound identifier.
fn is_separator(c: char) -> bool {
    matches!(c, '.' | '_' | ':' | '/' | '$' | '#' | '-' | '\'')
}

/// Byte ranges (relative to `word`) of the segments between separators.
pub fn segments(word: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in word.char_indices() {
        if is_separator(c) {
            if let Some(s) = start.take() {
                out.push((s, i));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, word.len()));
    }
    out
}

/// Byte ranges (relative to `segment`) of its camel-case parts. Boundaries: lower → upper
/// (`readFile`), and the last upper of an upper run followed by a lower (`HTTPResponse`).
/// Digits stay with the letters before them (`utf8`, `v18`).
pub fn camel_parts(segment: &str) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = segment.char_indices().collect();
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..chars.len() {
        let (pos, c) = chars[i];
        let prev = chars[i - 1].1;
        let next_lower = chars.get(i + 1).is_some_and(|(_, n)| n.is_lowercase());
        let boundary = (prev.is_lowercase() || prev.is_ascii_digit()) && c.is_uppercase()
            || prev.is_uppercase() && c.is_uppercase() && next_lower;
        if boundary {
            out.push((start, pos));
            start = pos;
        }
    }
    if !chars.is_empty() {
        out.push((start, segment.len()));
    }
    out
}

/// All sub-word parts of `word` worth indexing besides the word itself, as byte ranges relative
/// to `word`: the segments (if there are several) and the camel-case parts of each segment
/// (if it has several). Empty when the word is not a compound.
pub fn parts(word: &str) -> Vec<(usize, usize)> {
    // Most words are plain: without a separator or a capital after the first character there
    // is one segment of one camel-case part, so no parts (what `split` finds, without building
    // it).
    if word
        .bytes()
        .skip(1)
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return Vec::new();
    }
    split(word)
}

/// [`parts`] the long way.
fn split(word: &str) -> Vec<(usize, usize)> {
    let segs = segments(word);
    let mut out = Vec::new();
    for &(s, e) in &segs {
        if segs.len() > 1 {
            out.push((s, e));
        }
        let camel = camel_parts(&word[s..e]);
        if camel.len() > 1 {
            out.extend(camel.into_iter().map(|(a, b)| (s + a, s + b)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(word: &str) -> Vec<&str> {
        parts(word).into_iter().map(|(s, e)| &word[s..e]).collect()
    }

    #[test]
    fn splits_the_usual_identifier_styles() {
        assert_eq!(texts("parseHTTPResponse"), ["parse", "HTTP", "Response"]);
        assert_eq!(texts("snake_case_name"), ["snake", "case", "name"]);
        assert_eq!(texts("fs.readFile"), ["fs", "readFile", "read", "File"]);
        assert_eq!(texts("XMLHttpRequest"), ["XML", "Http", "Request"]);
        assert_eq!(texts("utf8Decode"), ["utf8", "Decode"]);
        assert_eq!(texts("__proto__"), Vec::<&str>::new());
        assert!(texts("plain").is_empty());
        assert!(texts("UPPER").is_empty());
        assert!(texts("v18").is_empty());
    }

    /// The shortcut for plain words answers what the full splitting does.
    #[test]
    fn the_plain_word_shortcut_agrees_with_splitting() {
        for word in [
            "plain",
            "Parse",
            "utf8",
            "v18",
            "_private",
            "$ref",
            "x",
            "",
            "a1b2",
            "ütf8",
            "Éclair",
            "éA",
            "aB",
            "a_b",
            "a.b",
            "__proto__",
            "HTTP",
            "readFile",
            "x-y",
            "a'b",
        ] {
            assert_eq!(parts(word), split(word), "{word}");
        }
    }

    #[test]
    fn handles_non_ascii() {
        assert_eq!(texts("größeBerechnen"), ["größe", "Berechnen"]);
    }
}
