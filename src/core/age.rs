//! Goods sold from 18: the cashier's confirmation of the buyer's age, what
//! goes on once it is given, and the hours alcohol may be sold in.

use chrono::{NaiveDateTime, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};
use std::fmt;

use super::catalog::Item;
use super::money::Quantity;

/// The cashier confirmed the buyer is 18 or older: once per receipt, kept
/// with it in the journal (who and when), for the store's manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgeConfirmation {
    /// The shift's cashier, who looked at the buyer.
    pub cashier: String,
    pub at: NaiveDateTime,
}

/// What goes on once the buyer's age is confirmed. A new way of adding goods
/// that must pass the age check (a marking code, say) is a new variant, and
/// its arm where the confirmed dialog hands it back (`update::dialogs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgeWaiting {
    /// An item scanned, typed or picked in search, as it came.
    Item {
        item_code: String,
        quantity: Option<Quantity>,
        barcode: Option<String>,
    },
    /// A marked unit's code, before the registrar checks it.
    MarkCode { item_code: String, code: super::marking::MarkCode },
}

impl AgeWaiting {
    pub fn item(item: &Item, quantity: Option<Quantity>, barcode: Option<&str>) -> AgeWaiting {
        AgeWaiting::Item {
            item_code: item.code.to_string(),
            quantity,
            barcode: barcode.map(str::to_string),
        }
    }

    /// The catalog code of the item waiting (the dialog names it).
    pub fn item_code(&self) -> &str {
        match self {
            AgeWaiting::Item { item_code, .. } | AgeWaiting::MarkCode { item_code, .. } => item_code,
        }
    }
}

/// A time of day in minutes from midnight; 1440 is «24:00», the end of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayMinute(u16);

const DAY: u16 = 24 * 60;

impl DayMinute {
    fn of(time: NaiveTime) -> DayMinute {
        // Both are below 24 and 60: the sum fits.
        DayMinute((time.hour() * 60 + time.minute()) as u16)
    }
}

impl fmt::Display for DayMinute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// The hours alcohol may be sold in, from `from` up to (not including)
/// `until`; `until` before `from` runs past midnight (10:00–02:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlcoholHours {
    pub from: DayMinute,
    pub until: DayMinute,
}

impl Default for AlcoholHours {
    /// 08:00–23:00: the federal rule (171-ФЗ, art. 16: no retail sale of
    /// alcohol from 23:00 to 08:00), which most regions keep; a region that
    /// narrows it is a config line.
    fn default() -> Self {
        AlcoholHours {
            from: DayMinute(8 * 60),
            until: DayMinute(23 * 60),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoursError {
    #[error("expected two times like \"08:00-23:00\"")]
    Shape,
    #[error("{0:?} is not a time of day (00:00 to 23:59; 24:00 only as the end)")]
    Time(String),
    #[error("the hours are empty: from and until are the same (\"00:00-24:00\" is all day)")]
    Empty,
}

impl AlcoholHours {
    /// "08:00-23:00"; "10:00-02:00" runs past midnight, "00:00-24:00" is all day.
    pub fn parse(text: &str) -> Result<AlcoholHours, HoursError> {
        let (from, until) = text.split_once('-').ok_or(HoursError::Shape)?;
        let from = parse_time(from, false)?;
        let until = parse_time(until, true)?;
        if from == until {
            return Err(HoursError::Empty);
        }
        Ok(AlcoholHours { from, until })
    }

    /// Whether alcohol may be sold at `now`.
    pub fn allow(&self, now: NaiveDateTime) -> bool {
        let at = DayMinute::of(now.time());
        if self.from.0 < self.until.0 {
            self.from.0 <= at.0 && at.0 < self.until.0
        } else {
            // Past midnight: 10:00–02:00 is 10:00 to the day's end and its start to 02:00.
            at.0 >= self.from.0 || at.0 < self.until.0
        }
    }
}

/// "08:00" (or "8:00"); "24:00" only as an end.
fn parse_time(text: &str, end: bool) -> Result<DayMinute, HoursError> {
    let text = text.trim();
    let bad = || HoursError::Time(text.to_string());
    let (hours, minutes) = text.split_once(':').ok_or_else(bad)?;
    let digits = |s: &str, most: usize| !s.is_empty() && s.len() <= most && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(hours, 2) || minutes.len() != 2 || !digits(minutes, 2) {
        return Err(bad());
    }
    let (hours, minutes): (u16, u16) = (hours.parse().map_err(|_| bad())?, minutes.parse().map_err(|_| bad())?);
    match (hours, minutes) {
        (24, 0) if end => Ok(DayMinute(DAY)),
        (0..=23, 0..=59) => Ok(DayMinute(hours * 60 + minutes)),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(time: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(&format!("2026-12-08 {time}"), "%Y-%m-%d %H:%M").expect("a time")
    }

    fn hours(text: &str) -> AlcoholHours {
        AlcoholHours::parse(text).expect("hours")
    }

    #[test]
    fn the_default_is_eight_to_eleven_at_night() {
        let hours = AlcoholHours::default();
        assert_eq!((hours.from.to_string(), hours.until.to_string()), ("08:00".into(), "23:00".into()));
        assert!(!hours.allow(at("07:59")));
        assert!(hours.allow(at("08:00")));
        assert!(hours.allow(at("22:59")));
        // 23:00 is already forbidden: the law's «с 23 часов».
        assert!(!hours.allow(at("23:00")));
        assert!(!hours.allow(at("23:30")));
        assert!(!hours.allow(at("00:00")));
    }

    #[test]
    fn hours_may_run_past_midnight() {
        let hours = hours("10:00-02:00");
        assert!(hours.allow(at("10:00")));
        assert!(hours.allow(at("23:59")));
        assert!(hours.allow(at("00:00")));
        assert!(hours.allow(at("01:59")));
        assert!(!hours.allow(at("02:00")));
        assert!(!hours.allow(at("09:59")));
    }

    #[test]
    fn all_day_and_the_mistakes() {
        let all = hours("00:00-24:00");
        assert!(all.allow(at("00:00")) && all.allow(at("23:59")) && all.allow(at("12:00")));
        assert_eq!(hours(" 8:00 - 23:00 "), AlcoholHours::default());
        assert_eq!(AlcoholHours::parse("08:00"), Err(HoursError::Shape));
        assert_eq!(AlcoholHours::parse("25:00-23:00"), Err(HoursError::Time("25:00".into())));
        assert_eq!(AlcoholHours::parse("08:60-23:00"), Err(HoursError::Time("08:60".into())));
        assert_eq!(AlcoholHours::parse("24:00-08:00"), Err(HoursError::Time("24:00".into())));
        assert_eq!(AlcoholHours::parse("08:5-23:00"), Err(HoursError::Time("08:5".into())));
        assert_eq!(AlcoholHours::parse("08:00-08:00"), Err(HoursError::Empty));
    }
}
