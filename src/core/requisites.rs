//! The seller's legal requisites that every printed receipt carries (54-ФЗ):
//! the organisation, its ИНН and its tax system. The address (the address
//! and place of settlement) is the settings' `store_address`.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The tax system (СНО) the seller settles under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxSystem {
    /// ОСН, the general system.
    Osn,
    /// УСН «доходы».
    UsnIncome,
    /// УСН «доходы минус расходы».
    UsnIncomeExpense,
    /// ЕСХН, the agricultural tax.
    Esn,
    /// ПСН, the patent.
    Patent,
}

impl TaxSystem {
    pub const ALL: [TaxSystem; 5] = [
        TaxSystem::Osn,
        TaxSystem::UsnIncome,
        TaxSystem::UsnIncomeExpense,
        TaxSystem::Esn,
        TaxSystem::Patent,
    ];

    /// As the config writes it: `osn`, `usn_income`, ….
    pub fn key(self) -> &'static str {
        match self {
            TaxSystem::Osn => "osn",
            TaxSystem::UsnIncome => "usn_income",
            TaxSystem::UsnIncomeExpense => "usn_income_expense",
            TaxSystem::Esn => "esn",
            TaxSystem::Patent => "patent",
        }
    }

    pub fn parse(text: &str) -> Option<TaxSystem> {
        TaxSystem::ALL.into_iter().find(|t| t.key() == text.trim())
    }
}

/// Why a text is not an ИНН.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InnError {
    #[error("{0:?} is not an ИНН: 10 digits for an organisation, 12 for an individual entrepreneur")]
    Shape(String),
    #[error("{0:?}: the check digits do not match the ИНН (a digit mistyped?)")]
    CheckSum(String),
}

/// The ФНС's check digit: the weighted sum of the digits before it, mod 11, mod 10.
fn check_digit(digits: &[u32], weights: &[u32]) -> u32 {
    digits.iter().zip(weights).map(|(d, w)| d * w).sum::<u32>() % 11 % 10
}

/// Checks an ИНН by the ФНС's algorithm: an organisation's 10 digits end
/// in one check digit, an individual's 12 in two.
pub fn check_inn(inn: &str) -> Result<(), InnError> {
    const TEN: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
    const ELEVENTH: [u32; 10] = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
    const TWELFTH: [u32; 11] = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
    let digits: Vec<u32> = inn.chars().map_while(|c| c.to_digit(10)).collect();
    if digits.len() != inn.chars().count() || !matches!(digits.len(), 10 | 12) {
        return Err(InnError::Shape(inn.to_string()));
    }
    let valid = if digits.len() == 10 {
        check_digit(&digits[..9], &TEN) == digits[9]
    } else {
        check_digit(&digits[..10], &ELEVENTH) == digits[10] && check_digit(&digits[..11], &TWELFTH) == digits[11]
    };
    if valid { Ok(()) } else { Err(InnError::CheckSum(inn.to_string())) }
}

/// The demo organisation's ИНН: made up, with valid check digits.
pub const DEMO_INN: &str = "7701234560";

/// What a receipt names the seller by. Empty fields are not printed (a
/// config file that leaves them out, an old session journal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Requisites {
    /// The organisation or entrepreneur as registered: «ООО "Ромашка"».
    #[serde(default)]
    pub organisation: String,
    /// Checked by [`check_inn`] when read from config.
    #[serde(default)]
    pub inn: String,
    #[serde(default)]
    pub tax_system: Option<TaxSystem>,
}

impl Requisites {
    /// The demo's seller, when no config names one.
    pub fn demo() -> Requisites {
        Requisites {
            organisation: crate::text::DEMO_ORGANISATION.into(),
            inn: DEMO_INN.into(),
            tax_system: Some(TaxSystem::Osn),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inns_are_checked_by_the_fns_algorithm() {
        // Organisations (10 digits) and entrepreneurs (12), as the ФНС publishes them.
        for good in [DEMO_INN, "7707083893", "7736207543", "500100732259", "770123456703"] {
            assert_eq!(check_inn(good), Ok(()), "{good}");
        }
        for typo in ["7707083894", "7736207534", "500100732258", "500100732249"] {
            assert_eq!(check_inn(typo), Err(InnError::CheckSum(typo.into())), "{typo}");
        }
        for shape in ["", "770708389", "77070838930", "7707O83893", "7707 83893", "１２３４５６７８９０"] {
            assert_eq!(check_inn(shape), Err(InnError::Shape(shape.into())), "{shape}");
        }
    }

    #[test]
    fn tax_systems_read_as_the_config_writes_them() {
        for system in TaxSystem::ALL {
            assert_eq!(TaxSystem::parse(system.key()), Some(system));
        }
        assert_eq!(TaxSystem::parse("usn"), None);
    }
}
