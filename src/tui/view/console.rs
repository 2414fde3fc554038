//! The Linux console (TERM=linux) draws with a font of a few hundred
//! glyphs: Cyrillic fonts for it carry the CP866 set (letters, box drawing,
//! shades). Any other symbol is drawn with a look-alike it has, so the
//! screen never shows blanks or diamonds where a lamp or a dash should be.

use ratatui::buffer::Buffer;

/// Whether the console's CP866 font has `c`.
pub fn has_glyph(c: char) -> bool {
    if c.is_ascii() || matches!(c, 'А'..='я' | 'Ё' | 'ё') {
        return true;
    }
    let mut bytes = [0u8; 4];
    let (_, _, unmappable) = encoding_rs::IBM866.encode(c.encode_utf8(&mut bytes));
    !unmappable
}

/// What the console draws instead of `c`.
fn look_alike(c: char) -> &'static str {
    match c {
        '●' => "■",
        '○' => "·",
        '✖' => "X",
        '×' => "x",
        '…' => ".",
        '«' | '»' => "\"",
        '—' | '−' | '–' => "-",
        '↑' => "^",
        '↓' => "v",
        '←' => "<",
        '→' => ">",
        '₽' => "р",
        _ => "?",
    }
}

/// Replaces, cell by cell, every symbol the console font lacks.
pub fn substitute(buffer: &mut Buffer) {
    for cell in &mut buffer.content {
        let symbol = cell.symbol();
        if symbol.is_ascii() || symbol.chars().all(has_glyph) {
            continue;
        }
        let replaced: String = symbol
            .chars()
            .map(|c| if has_glyph(c) { c.to_string() } else { look_alike(c).to_string() })
            .collect();
        cell.set_symbol(&replaced);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp866_letters_and_lines_stay_the_rest_is_replaced() {
        for c in ['Ж', 'ё', '│', '┌', '■', '№', 'a'] {
            assert!(has_glyph(c), "{c}");
        }
        for c in ['●', '✖', '«', '—', '…', '₽', '×'] {
            assert!(!has_glyph(c), "{c}");
            assert!(look_alike(c).chars().all(has_glyph), "{c}");
        }
        let mut buffer = Buffer::with_lines(["● Связь — «Ок» ✖"]);
        substitute(&mut buffer);
        let line: String = buffer.content.iter().map(|c| c.symbol()).collect();
        assert_eq!(line, "■ Связь - \"Ок\" X");
    }
}
