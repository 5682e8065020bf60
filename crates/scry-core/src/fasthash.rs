//! A small, fast hasher for the per-query maps keyed by words (snippets): SipHash, the standard
//! library's default, costs more than the lookups it serves there. Not resistant to chosen
//! collisions, which is fine for maps that live for one query over the user's own text.

use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-rotate hashing of 8 bytes at a time (the scheme of rustc's `FxHasher`).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct WordHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl WordHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for WordHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.add(u64::from_le_bytes(b));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// `HashMap`/`HashSet` state for [`WordHasher`].
pub(crate) type WordHash = BuildHasherDefault<WordHasher>;

/// A map keyed by words, hashed with [`WordHasher`].
pub(crate) type WordMap<K, V> = std::collections::HashMap<K, V, WordHash>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn different_words_rarely_collide() {
        let words: Vec<String> = (0..20_000).map(|i| format!("w{i}")).collect();
        let mut hashes: Vec<u64> = words
            .iter()
            .map(|w| {
                let mut h = WordHasher::default();
                std::hash::Hash::hash(w.as_str(), &mut h);
                h.finish()
            })
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), words.len());
        let mut map: WordMap<&str, usize> = WordMap::default();
        for (i, w) in words.iter().enumerate() {
            map.insert(w, i);
        }
        assert!(words.iter().enumerate().all(|(i, w)| map[w.as_str()] == i));
    }
}
