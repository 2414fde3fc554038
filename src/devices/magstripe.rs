//! Magnetic-stripe tracks as card readers send them (ISO 7811):
//! track 1 `%B<number>^<name>^<data>?`, tracks 2 and 3 `;<number>=<data>?`.
//! Which track and which part of it is the loyalty card number is the
//! store's setting ("parsed according to the POS settings", as the Frontol
//! spec puts it): a track, a field of it, and optionally a slice of the field.

use thiserror::Error;

/// Where the card number is on the stripe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRule {
    /// 1, 2 or 3.
    pub track: u8,
    /// 1-based field: split at `^` on track 1, at `=` on tracks 2 and 3.
    /// Track 1's first field is the number without its format code (`B`).
    pub field: usize,
    /// Characters to skip at the field's start, then how many to take (all when `None`).
    pub offset: usize,
    pub length: Option<usize>,
}

impl Default for CardRule {
    /// The primary account number on track 2: what most loyalty cards carry.
    fn default() -> CardRule {
        CardRule {
            track: 2,
            field: 1,
            offset: 0,
            length: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SwipeError {
    #[error("на карте нет дорожки {0}")]
    NoTrack(u8),
    #[error("на дорожке {track} нет поля {field}")]
    NoField { track: u8, field: usize },
    #[error("поле короче настроенного ({0} симв.)")]
    TooShort(usize),
    #[error("карта не прочиталась (ошибка чтения дорожки)")]
    Unreadable,
}

/// The tracks found in one swipe, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tracks {
    pub track1: Option<String>,
    pub track2: Option<String>,
    pub track3: Option<String>,
}

/// Splits a swipe into its tracks. Readers signal a track they could not
/// read with `%E?` / `;E?` (or `+E?`); such a track counts as missing.
pub fn tracks(swipe: &str) -> Tracks {
    let mut found = Tracks::default();
    let mut rest = swipe.trim_matches(|c: char| c.is_whitespace() || c.is_control());
    while let Some(start) = rest.find(['%', ';', '+']) {
        let sentinel = rest.as_bytes()[start];
        let body_start = start + 1;
        let end = rest[body_start..].find('?').map_or(rest.len(), |e| body_start + e);
        let body = &rest[body_start..end];
        rest = rest.get(end + 1..).unwrap_or("");
        if body == "E" || body.is_empty() {
            continue;
        }
        let slot = match sentinel {
            b'%' => &mut found.track1,
            b'+' => &mut found.track3,
            _ if found.track2.is_none() => &mut found.track2,
            _ => &mut found.track3,
        };
        *slot = Some(body.to_string());
    }
    found
}

impl CardRule {
    /// The card number a swipe carries under this rule.
    pub fn card(&self, swipe: &str) -> Result<String, SwipeError> {
        let tracks = tracks(swipe);
        if tracks == Tracks::default() {
            return Err(SwipeError::Unreadable);
        }
        let track = match self.track {
            1 => tracks.track1,
            2 => tracks.track2,
            _ => tracks.track3,
        }
        .ok_or(SwipeError::NoTrack(self.track))?;
        let separator = if self.track == 1 { '^' } else { '=' };
        let mut field = track
            .split(separator)
            .nth(self.field.saturating_sub(1))
            .ok_or(SwipeError::NoField {
                track: self.track,
                field: self.field,
            })?;
        if self.track == 1 && self.field == 1 {
            // The format code (`B` for bank-style cards) is not part of the number.
            field = field.strip_prefix(|c: char| c.is_ascii_alphabetic()).unwrap_or(field);
        }
        let chars: Vec<char> = field.chars().collect();
        let end = self.length.map_or(chars.len(), |l| self.offset + l);
        if end > chars.len() || self.offset >= chars.len() {
            return Err(SwipeError::TooShort(chars.len()));
        }
        Ok(chars[self.offset..end].iter().collect::<String>().trim().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SWIPE: &str = "%B7000000000011^IVANOV/IVAN^2612101000?;7000000000011=26121010000?;0123456789=77?\r";

    #[test]
    fn the_default_rule_takes_track_two_number() {
        assert_eq!(CardRule::default().card(SWIPE), Ok("7000000000011".into()));
    }

    #[test]
    fn tracks_fields_and_slices_by_configuration() {
        let rule = |track, field, offset, length| CardRule {
            track,
            field,
            offset,
            length,
        };
        assert_eq!(rule(1, 1, 0, None).card(SWIPE), Ok("7000000000011".into()));
        assert_eq!(rule(1, 2, 0, None).card(SWIPE), Ok("IVANOV/IVAN".into()));
        assert_eq!(rule(3, 1, 2, Some(4)).card(SWIPE), Ok("2345".into()));
        assert_eq!(rule(2, 2, 0, Some(4)).card(SWIPE), Ok("2612".into()));
        assert_eq!(rule(2, 3, 0, None).card(SWIPE), Err(SwipeError::NoField { track: 2, field: 3 }));
        assert_eq!(rule(2, 1, 10, Some(8)).card(SWIPE), Err(SwipeError::TooShort(13)));
    }

    #[test]
    fn unreadable_and_missing_tracks_are_told_apart() {
        assert_eq!(CardRule::default().card("%E?;E?"), Err(SwipeError::Unreadable));
        assert_eq!(CardRule::default().card("%BNAME^X^1?"), Err(SwipeError::NoTrack(2)));
        assert_eq!(CardRule::default().card("garbage"), Err(SwipeError::Unreadable));
        // A reader that marks track 3 with `+`.
        assert_eq!(tracks(";11=1?+33=3?").track3.as_deref(), Some("33=3"));
    }
}
