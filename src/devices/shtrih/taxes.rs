//! Which of the registrar's tax groups each VAT rate is registered in
//! (`[printer] taxes` in config). The registrar's table of taxes has six
//! rows; an operation names its group by bit n-1 of its «Налог» byte.
//!
//! The defaults are a Shtrih-M set up for 2026: rows 1–4 as the factory
//! programs them with the 2026 rate in row 1 (22 %, 10 %, 0 %, без НДС);
//! row 5, the factory's 20/120, reprogrammed to 20 % for returns of sales
//! made before 2026; row 6, the factory's 10/110, reprogrammed to the
//! reduced rate of a УСН payer — 5 % or 7 %, never both in one year, so
//! both rates point at it and the store programs the row to its own.

use thiserror::Error;

use crate::core::catalog::Vat;

/// The registrar's tax table has rows 1…6.
pub const GROUPS: std::ops::RangeInclusive<u8> = 1..=6;

/// A tax group outside the registrar's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("tax group {0} is not in the registrar's table: use 1 to 6")]
pub struct GroupError(pub i64);

/// A tax group (1…6) per VAT rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxGroups([u8; Vat::ALL.len()]);

impl Default for TaxGroups {
    fn default() -> Self {
        let mut groups = TaxGroups([1; Vat::ALL.len()]);
        for (vat, group) in [
            (Vat::Vat22, 1),
            (Vat::Vat10, 2),
            (Vat::Vat0, 3),
            (Vat::NoVat, 4),
            (Vat::Vat20, 5),
            (Vat::Vat5, 6),
            (Vat::Vat7, 6),
        ] {
            groups.0[index(vat)] = group;
        }
        groups
    }
}

fn index(vat: Vat) -> usize {
    Vat::ALL.iter().position(|v| *v == vat).unwrap_or(0)
}

impl TaxGroups {
    /// Registers `vat` in `group`.
    pub fn set(&mut self, vat: Vat, group: i64) -> Result<(), GroupError> {
        match u8::try_from(group) {
            Ok(g) if GROUPS.contains(&g) => {
                self.0[index(vat)] = g;
                Ok(())
            }
            _ => Err(GroupError(group)),
        }
    }

    pub fn group(&self, vat: Vat) -> u8 {
        self.0[index(vat)]
    }

    /// The «Налог» byte of an operation at `vat`: bit n-1 for group n.
    pub fn bits(&self, vat: Vat) -> u8 {
        1 << (self.group(vat) - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rate_has_its_group_bit_and_groups_stay_in_the_table() {
        let mut taxes = TaxGroups::default();
        let bits: Vec<u8> = Vat::ALL.iter().map(|v| taxes.bits(*v)).collect();
        // 22, 20, 10, 7, 5, 0, none
        assert_eq!(bits, [0b1, 0b1_0000, 0b10, 0b10_0000, 0b10_0000, 0b100, 0b1000]);
        taxes.set(Vat::Vat7, 3).expect("in the table");
        assert_eq!(taxes.bits(Vat::Vat7), 0b100);
        assert_eq!(taxes.set(Vat::Vat7, 7), Err(GroupError(7)));
        assert_eq!(taxes.set(Vat::Vat7, 0), Err(GroupError(0)));
        assert_eq!(taxes.set(Vat::Vat7, 300), Err(GroupError(300)));
        assert_eq!(taxes.group(Vat::Vat7), 3, "a refused group changes nothing");
    }
}
