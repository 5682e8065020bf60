//! Normalisation of a word into its index form: lower-case, diacritics removed (`Über` → `uber`).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lower-cases `word` and, if `fold_diacritics`, strips combining marks after canonical
/// decomposition (NFD), so `café`, `cafe` and `CAFÉ` all become `cafe`.
pub fn normalise(word: &str, fold_diacritics: bool) -> String {
    if word.is_ascii() {
        return word.to_ascii_lowercase();
    }
    let lower = word.to_lowercase();
    if !fold_diacritics {
        return lower;
    }
    lower.nfd().filter(|c| !is_combining_mark(*c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_diacritics() {
        assert_eq!(normalise("CAFÉ", true), "cafe");
        assert_eq!(normalise("Über", true), "uber");
        assert_eq!(normalise("naïve", true), "naive");
        assert_eq!(normalise("Ångström", true), "angstrom");
        assert_eq!(normalise("Über", false), "über");
        assert_eq!(normalise("日本語", true), "日本語");
        assert_eq!(normalise("ReadFile", true), "readfile");
    }
}
