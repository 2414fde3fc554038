//! Pseudonyms for phone and card numbers, codes and PINs in the journal.
//!
//! A number keeps its shape (non-digits, length), its first digit and its
//! last four when it has more than six digits; the digits between, and every
//! digit of a short code, come from a keyed hash of the whole value. The key
//! is random per run and never written, so a pseudonym cannot be turned back
//! by trying numbers; within a run the same value always gets the same
//! pseudonym, so a typed code still matches the code the server sent.

use md5::{Digest, Md5};
use serde_json::Value;

/// Keys whose string values (or lists of strings) are masked wherever they are.
const MASKED_KEYS: &[&str] = &["card", "phone", "swipe", "email", "validation_code", "contact", "contacts", "pin"];

/// A `code` beside these keys is an SMS code, not an item's code.
const CODE_OWNERS: &[&str] = &["client", "phone"];

pub struct Masker {
    key: [u8; 16],
}

impl Default for Masker {
    fn default() -> Self {
        Masker {
            key: uuid::Uuid::new_v4().into_bytes(),
        }
    }
}

impl Masker {
    /// A masker with a fixed key (tests).
    pub fn with_key(key: [u8; 16]) -> Masker {
        Masker { key }
    }

    pub fn pseudonym(&self, text: &str) -> String {
        if let Some((local, domain)) = text.split_once('@') {
            let hash = self.hash(local);
            let hex: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
            return format!("{hex}@{domain}");
        }
        let digits = text.chars().filter(char::is_ascii_digit).count();
        let keeps = |index: usize| digits > 6 && (index == 0 || index + 4 >= digits);
        let hash = self.hash(text);
        let mut index = 0;
        text.chars()
            .map(|c| {
                if !c.is_ascii_digit() {
                    return c;
                }
                let kept = keeps(index);
                let replaced = char::from(b'0' + hash[index % hash.len()] % 10);
                index += 1;
                if kept { c } else { replaced }
            })
            .collect()
    }

    fn hash(&self, text: &str) -> [u8; 16] {
        let mut hasher = Md5::new();
        hasher.update(self.key);
        hasher.update(text.as_bytes());
        hasher.finalize().into()
    }

    /// Masks, in place, every number a journal record may carry.
    pub fn mask_json(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                let owns_code = CODE_OWNERS.iter().any(|k| map.contains_key(*k));
                for (key, inner) in map.iter_mut() {
                    // A scan is an item's code in clear, or masked already (in a number dialog).
                    if key == "scan" {
                        continue;
                    }
                    if MASKED_KEYS.contains(&key.as_str()) || (owns_code && key == "code") {
                        self.mask_strings(inner);
                    } else {
                        self.mask_json(inner);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.mask_json(item)),
            // Free text (a printed line: «Покупатель: +79211022546») may carry a phone or an e-mail.
            Value::String(text) => *text = self.scrub(text),
            _ => {}
        }
    }

    /// `text` with every `+7` phone and every e-mail in it replaced by its
    /// pseudonym. Item codes and barcodes have no `+` or `@` and stay.
    pub fn scrub(&self, text: &str) -> String {
        if !text.contains("+7") && !text.contains('@') {
            return text.to_string();
        }
        let words: Vec<String> = text
            .split(' ')
            .map(|word| {
                let bare = word.trim_matches(|c: char| ",.;:()«»\"'".contains(c));
                let phone = bare.len() == 12 && bare.starts_with("+7") && bare[1..].chars().all(|c| c.is_ascii_digit());
                let email = bare.contains('@') && !bare.starts_with('@') && !bare.ends_with('@');
                if phone || email {
                    word.replacen(bare, &self.pseudonym(bare), 1)
                } else {
                    word.to_string()
                }
            })
            .collect();
        words.join(" ")
    }

    /// Every string inside `value` (a number, a list of contacts, a client id).
    fn mask_strings(&self, value: &mut Value) {
        match value {
            Value::String(text) => *text = self.pseudonym(text),
            Value::Array(items) => items.iter_mut().for_each(|item| self.mask_strings(item)),
            Value::Object(map) => map.values_mut().for_each(|item| self.mask_strings(item)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_shape_and_last_four_codes_keep_nothing() {
        let masker = Masker::with_key([7; 16]);
        let phone = masker.pseudonym("+79161234567");
        assert!(phone.starts_with("+7") && phone.ends_with("4567") && phone.len() == 12, "{phone}");
        assert_ne!(phone, "+79161234567");
        let card = masker.pseudonym("2000123456789");
        assert!(card.starts_with('2') && card.ends_with("6789") && card.len() == 13, "{card}");
        assert_ne!(&card[1..9], "00012345");
        assert_eq!(
            masker.pseudonym("1234"),
            masker.pseudonym("1234"),
            "the same code, the same pseudonym"
        );
        assert_ne!(masker.pseudonym("1234"), masker.pseudonym("1235"));
        assert_eq!(masker.pseudonym("1234").len(), 4);
        assert!(masker.pseudonym("ivanova@mail.ru").ends_with("@mail.ru"));
        assert!(!masker.pseudonym("ivanova@mail.ru").contains("ivanova"));
        let other = Masker::with_key([8; 16]);
        assert_ne!(other.pseudonym("+79161234567"), phone, "another run, another key");
    }

    #[test]
    fn json_numbers_are_masked_item_codes_are_not() {
        let masker = Masker::with_key([1; 16]);
        let mut value = serde_json::json!({
            "swipe": "7770000000017",
            "client": {"phone": "+79161234567"},
            "code": "5821",
            "contacts": ["+79161234567", "a@b.ru"],
            "positions": [{"code": "1021", "name": "Молоко"}],
            "validation_code": "1234",
        });
        masker.mask_json(&mut value);
        let text = value.to_string();
        for secret in ["7770000000017", "+79161234567", "5821", "1234\"", "a@b"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("\"code\":\"1021\""), "an item's code stays: {text}");
        let mut printed =
            serde_json::json!({"lines": ["Покупатель: +79211022546", "Эл. почта: sobaka@gmail.com.", "4600972223306 Молоко"]});
        masker.mask_json(&mut printed);
        let printed = printed.to_string();
        assert!(!printed.contains("+79211022546") && !printed.contains("sobaka@"), "{printed}");
        assert!(
            printed.contains("2546") && printed.contains("@gmail.com.") && printed.contains("4600972223306 Молоко"),
            "{printed}"
        );
    }
}
