//! Text for printers' single-byte code pages: CP866 (ESC/POS) and
//! WIN1251 (the Shtrih-M protocol). A character the page lacks is replaced
//! by a look-alike (`₽` → `р.`, `«` → `"`), never by an HTML entity.

use encoding_rs::Encoding;

pub use encoding_rs::{IBM866, WINDOWS_1251};

/// Look-alikes for characters a code page may lack.
fn substitute(c: char) -> &'static str {
    match c {
        '₽' => "р.",
        '«' | '»' | '“' | '”' | '„' => "\"",
        '‘' | '’' => "'",
        '—' | '–' | '─' | '━' => "-",
        '…' => "...",
        '×' => "x",
        '№' => "N",
        '●' | '○' | '✖' | '•' => "*",
        '│' => "|",
        _ => "?",
    }
}

/// Encodes `text` in `encoding`, substituting what it cannot hold.
pub fn encode(encoding: &'static Encoding, text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut buf = [0u8; 4];
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c as u8);
            continue;
        }
        let (bytes, _, unmappable) = encoding.encode(c.encode_utf8(&mut buf));
        if unmappable {
            out.extend(encode_plain(encoding, substitute(c)));
        } else {
            out.extend_from_slice(&bytes);
        }
    }
    out
}

/// A substitute is ASCII except `р.`, which every Cyrillic page holds.
fn encode_plain(encoding: &'static Encoding, text: &str) -> Vec<u8> {
    encoding.encode(text).0.into_owned()
}

pub fn decode(encoding: &'static Encoding, bytes: &[u8]) -> String {
    encoding.decode_without_bom_handling(bytes).0.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyrillic_in_cp866_with_substitutes() {
        // The dependency notes' test vector.
        assert_eq!(
            encode(IBM866, "Мой магазин №1"),
            [0x8C, 0xAE, 0xA9, 0x20, 0xAC, 0xA0, 0xA3, 0xA0, 0xA7, 0xA8, 0xAD, 0x20, 0xFC, 0x31]
        );
        assert_eq!(decode(IBM866, &encode(IBM866, "Итого: 10 ₽ «скидка»")), "Итого: 10 р. \"скидка\"");
    }

    #[test]
    fn win1251_for_the_registrar() {
        assert_eq!(encode(WINDOWS_1251, "Ёж №"), [0xA8, 0xE6, 0x20, 0xB9]);
        assert_eq!(decode(WINDOWS_1251, &encode(WINDOWS_1251, "100 ₽")), "100 р.");
    }
}
