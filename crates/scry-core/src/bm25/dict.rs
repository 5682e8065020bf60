//! A sorted term dictionary: exact lookup, prefix ranges, and candidates within one edit.

use std::cmp::Ordering;
use std::ops::Range;

use crate::codec::{DecodeError, Reader, put_bytes, put_varint};

/// Terms in byte order, stored back to back, with a second order by reversed characters so that
/// both prefixes and suffixes can be found by binary search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TermDict {
    /// All terms back to back (valid UTF-8; offsets fall on char boundaries).
    text: String,
    /// `offsets[i]..offsets[i + 1]` is term `i`; `len + 1` entries.
    offsets: Vec<u32>,
    /// Term indices ordered by their reversed characters.
    reversed: Vec<u32>,
    /// `heads[b]`: how many terms are empty or start with a byte below `b` (257 entries, or none
    /// when empty), so that a lookup only searches the terms sharing its first byte.
    heads: Vec<u32>,
}

fn rev_cmp(a: &str, b: &str) -> Ordering {
    a.chars().rev().cmp(b.chars().rev())
}

/// True if `a` and `b` differ by at most one insertion, deletion or substitution.
pub fn within_one_edit(a: &[char], b: &[char]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let common = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if short.len() == long.len() {
        short[common..]
            .iter()
            .skip(1)
            .eq(long[common..].iter().skip(1))
    } else {
        short[common..] == long[common + 1..]
    }
}

impl TermDict {
    /// Builds a dictionary from terms already sorted and unique.
    pub fn from_sorted<'a>(terms: impl IntoIterator<Item = &'a str>) -> Self {
        let mut text = String::new();
        let mut offsets = vec![0u32];
        for t in terms {
            text.push_str(t);
            offsets.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
        }
        let mut d = Self {
            text,
            offsets,
            reversed: Vec::new(),
            heads: Vec::new(),
        };
        let mut rev: Vec<u32> = (0..d.len() as u32).collect();
        rev.sort_by(|&a, &b| rev_cmp(d.term(a as usize), d.term(b as usize)));
        d.reversed = rev;
        if !d.is_empty() {
            d.heads = (0..=256u16)
                .map(|b| {
                    let below =
                        d.partition(|t| t.as_bytes().first().is_none_or(|&c| u16::from(c) < b));
                    u32::try_from(below).unwrap_or(u32::MAX)
                })
                .collect();
        }
        d
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Term `i` (`i < len()`).
    pub fn term(&self, i: usize) -> &str {
        let (s, e) = (self.offsets[i] as usize, self.offsets[i + 1] as usize);
        self.text.get(s..e).unwrap_or("")
    }

    /// The terms starting with byte `c` (all of them when there is no index).
    fn starting_with(&self, c: u8) -> (usize, usize) {
        match self.heads.get(usize::from(c)..usize::from(c) + 2) {
            Some(&[lo, hi]) => (lo as usize, hi as usize),
            _ => (0, self.len()),
        }
    }

    /// Index of `term`, if present.
    pub fn get(&self, term: &str) -> Option<usize> {
        let (mut lo, mut hi) = match term.as_bytes().first() {
            Some(&c) => self.starting_with(c),
            None => (0, self.heads.first().map_or(self.len(), |&n| n as usize)),
        };
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.term(mid).cmp(term) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// Indices of the terms starting with `prefix` (a contiguous range).
    pub fn prefix(&self, prefix: &str) -> Range<usize> {
        let (lo, hi) = match prefix.as_bytes().first() {
            Some(&c) => self.starting_with(c),
            None => (0, self.len()),
        };
        let start = self.partition_in(lo, hi, |t| t < prefix);
        let end = start
            + (start..hi)
                .take_while(|&i| self.term(i).starts_with(prefix))
                .count();
        start..end
    }

    fn partition(&self, before: impl FnMut(&str) -> bool) -> usize {
        self.partition_in(0, self.len(), before)
    }

    /// The first index in `lo..hi` whose term `before` rejects (`before` holds for a prefix of
    /// the range).
    fn partition_in(
        &self,
        mut lo: usize,
        mut hi: usize,
        mut before: impl FnMut(&str) -> bool,
    ) -> usize {
        while lo < hi {
            let mid = (lo + hi) / 2;
            if before(self.term(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Terms ending with `suffix`, via the reversed order.
    fn suffix(&self, suffix: &str) -> impl Iterator<Item = usize> + '_ {
        let (mut lo, mut hi) = (0, self.reversed.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if rev_cmp(self.term(self.reversed[mid] as usize), suffix) == Ordering::Less {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let suffix = suffix.to_owned();
        self.reversed[lo..]
            .iter()
            .map(|&i| i as usize)
            .take_while(move |&i| self.term(i).ends_with(suffix.as_str()))
    }

    /// Pushes the indices of terms exactly one edit away from `term` (not `term` itself).
    /// Any single edit leaves either the first ⌊n/2⌋ or the last ⌈n/2⌉ characters intact, so only
    /// terms sharing one of those are compared.
    pub fn one_edit_away(&self, term: &str, out: &mut Vec<usize>) {
        let chars: Vec<char> = term.chars().collect();
        let h = chars.len() / 2;
        let head: String = chars[..h].iter().collect();
        let tail: String = chars[h..].iter().collect();
        let mut buf: Vec<char> = Vec::new();
        let start = out.len();
        let mut check = |i: usize, out: &mut Vec<usize>| {
            let t = self.term(i);
            if t == term {
                return;
            }
            buf.clear();
            buf.extend(t.chars());
            if within_one_edit(&buf, &chars) {
                out.push(i);
            }
        };
        for i in self.prefix(&head) {
            check(i, out);
        }
        for i in self.suffix(&tail) {
            check(i, out);
        }
        out[start..].sort_unstable();
        let mut seen = start;
        for k in start..out.len() {
            if k == start || out[k] != out[seen - 1] {
                out[seen] = out[k];
                seen += 1;
            }
        }
        out.truncate(seen);
    }

    /// Appends the encoded dictionary (terms only; the reversed order is rebuilt on decode).
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_varint(out, self.len() as u64);
        for i in 0..self.len() {
            put_bytes(out, self.term(i).as_bytes());
        }
    }

    /// Decodes a dictionary, checking that terms are valid UTF-8, unique and sorted.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let n = r.count(1)?;
        let mut terms: Vec<&str> = Vec::with_capacity(n);
        for _ in 0..n {
            let t = r.str()?;
            if terms.last().is_some_and(|prev| *prev >= t) {
                return Err(r.invalid("dictionary terms are not strictly sorted"));
            }
            terms.push(t);
        }
        Ok(Self::from_sorted(terms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict(words: &[&str]) -> TermDict {
        let mut w = words.to_vec();
        w.sort_unstable();
        w.dedup();
        TermDict::from_sorted(w)
    }

    /// Lookups through the first-byte ranges find every term and nothing else, for first bytes
    /// at the ends of the range, multi-byte characters and the empty term.
    #[test]
    fn lookups_by_first_byte_find_exactly_the_terms() {
        let words = [
            "",
            "\u{1}x",
            "a",
            "ab",
            "abc",
            "b",
            "zz",
            "~",
            "\u{7f}",
            "é",
            "éa",
            "ü",
            "日本",
            "\u{10ffff}",
        ];
        let d = dict(&words);
        for w in words {
            assert_eq!(d.get(w).map(|i| d.term(i)), Some(w), "{w:?}");
        }
        for absent in ["aa", "abd", "c", "ê", "日", "\u{0}", "zzz", "\u{10fffe}"] {
            assert_eq!(d.get(absent), None, "{absent:?}");
        }
        let no_empty = dict(&["a", "b"]);
        assert_eq!(no_empty.get(""), None);
        assert_eq!(dict(&[]).get("a"), None);
        assert_eq!(dict(&[]).prefix("a"), 0..0);
        // Prefixes through the same ranges.
        let terms = |p: &str| -> Vec<&str> { d.prefix(p).map(|i| d.term(i)).collect() };
        assert_eq!(terms("ab"), ["ab", "abc"]);
        assert_eq!(terms("é"), ["é", "éa"]);
        assert_eq!(terms("zz"), ["zz"]);
        assert_eq!(terms("\u{10ffff}"), ["\u{10ffff}"]);
        assert_eq!(d.prefix("").len(), words.len());
        assert!(d.prefix("c").is_empty());
    }

    #[test]
    fn lookup_prefix_and_round_trip() {
        let d = dict(&["stream", "streams", "string", "buffer", "strict", "zlib"]);
        assert_eq!(d.get("string").map(|i| d.term(i)), Some("string"));
        assert_eq!(d.get("str"), None);
        let p: Vec<_> = d.prefix("str").map(|i| d.term(i)).collect();
        assert_eq!(p, ["stream", "streams", "strict", "string"]);
        assert!(d.prefix("zz").is_empty());
        let mut buf = Vec::new();
        d.encode(&mut buf);
        assert_eq!(TermDict::decode(&mut Reader::new(&buf)).unwrap(), d);
    }

    #[test]
    fn one_edit_candidates_match_a_brute_force_scan() {
        let words = [
            "stream", "streams", "steam", "strema", "scream", "stream_", "xtream", "streak",
            "buffer", "buffers", "bufer", "biffer", "puffer", "buff", "readfile", "readfil",
        ];
        let d = dict(&words);
        for q in ["stream", "buffer", "readfile", "strem", "bufferz"] {
            let mut got = Vec::new();
            d.one_edit_away(q, &mut got);
            let got: Vec<_> = got.iter().map(|&i| d.term(i)).collect();
            let qc: Vec<char> = q.chars().collect();
            let want: Vec<_> = (0..d.len())
                .map(|i| d.term(i))
                .filter(|t| *t != q && within_one_edit(&t.chars().collect::<Vec<_>>(), &qc))
                .collect();
            assert_eq!(got, want, "query {q}");
        }
    }

    #[test]
    fn decode_rejects_unsorted_terms() {
        let mut buf = Vec::new();
        put_varint(&mut buf, 2);
        put_bytes(&mut buf, b"b");
        put_bytes(&mut buf, b"a");
        assert!(TermDict::decode(&mut Reader::new(&buf)).is_err());
    }
}
