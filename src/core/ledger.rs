//! The loyalty books: what a loyalty server counted, in one shape for all
//! four protocols, and what kassa's journal says, reconciled to the kopeck
//! (every loyalty scenario ends with it: `expect ledger`).
//!
//! Each emulator keeps its own books in its own terms and reports them
//! here: one [`Counted`] per document its protocol made final (a confirmed
//! sale, a confirmed return), and one [`OpenDebit`] per bonus write-off it
//! holds for a document that is neither confirmed nor cancelled (Frontol's
//! `payByBonus` debits at once; a receipt that went away must leave none).

use serde::{Deserialize, Serialize};

use super::money::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Sale,
    Return,
}

/// One final document as the server counted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counted {
    /// Every identifier of the client the server booked it to: its card and
    /// its phone as `+7…` (kassa's journal names one of them). Empty for a
    /// document with no client (an anonymous receipt).
    pub client: Vec<String>,
    pub kind: Kind,
    /// Money: for a sale, what the customer paid in money after every
    /// discount and the bonus write-off; for a return, the money given back.
    pub paid: Money,
    /// Bonuses: for a sale, written off; for a return, given back to the client.
    pub bonus: Money,
}

impl Counted {
    /// `client`'s identifiers, with `paid` and `bonus` in kopecks.
    pub fn new(client: &[&str], kind: Kind, paid: i64, bonus: i64) -> Counted {
        Counted {
            client: client.iter().map(|c| c.to_string()).collect(),
            kind,
            paid: Money(paid),
            bonus: Money(bonus),
        }
    }
}

/// A write-off the server holds for a document it has not made final.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenDebit {
    pub client: Vec<String>,
    /// The protocol's document key (uid, move_id, …), for the message.
    pub document: String,
    pub amount: Money,
}

/// The server's books.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ledger {
    pub counted: Vec<Counted>,
    pub open_debits: Vec<OpenDebit>,
}

/// What kassa's journal says of one document (see `replay`'s `expect ledger`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journaled {
    /// The card or `+7…` phone kassa identified the client by; empty for anonymous.
    pub client: String,
    pub kind: Kind,
    pub paid: Money,
    pub bonus: Money,
    /// Where it is in kassa's journal, for the message (`3/15`).
    pub receipt: String,
}

/// Compares the server's books with kassa's journal: every journaled
/// document matches exactly one counted one (client, kind, money and bonus
/// to the kopeck), nothing is left over on either side, and no write-off is
/// left open. `Err` lists every difference.
pub fn reconcile(ledger: &Ledger, journal: &[Journaled]) -> Result<(), String> {
    let mut left: Vec<&Counted> = ledger.counted.iter().collect();
    let mut problems = Vec::new();
    for j in journal {
        let found = left.iter().position(|c| {
            c.kind == j.kind
                && c.paid == j.paid
                && c.bonus == j.bonus
                && (c.client.contains(&j.client) || (c.client.is_empty() && j.client.is_empty()))
        });
        match found {
            Some(at) => {
                left.remove(at);
            }
            None => problems.push(format!(
                "kassa's receipt {} ({:?}, client {}, money {}, bonus {}) is not in the server's books",
                j.receipt, j.kind, j.client, j.paid, j.bonus
            )),
        }
    }
    for c in left {
        problems.push(format!(
            "the server counted a {:?} kassa's journal does not have: client {:?}, money {}, bonus {}",
            c.kind, c.client, c.paid, c.bonus
        ));
    }
    for d in &ledger.open_debits {
        problems.push(format!(
            "the server still holds a write-off of {} for {} (client {:?})",
            d.amount, d.document, d.client
        ));
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("\n")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journaled(client: &str, kind: Kind, paid: i64, bonus: i64) -> Journaled {
        Journaled {
            client: client.into(),
            kind,
            paid: Money(paid),
            bonus: Money(bonus),
            receipt: "1/1".into(),
        }
    }

    #[test]
    fn matches_document_by_document_to_the_kopeck() {
        let ledger = Ledger {
            counted: vec![
                Counted::new(&["777", "+79161234567"], Kind::Sale, 100_00, 50_00),
                Counted::new(&["777", "+79161234567"], Kind::Return, 40_00, 20_00),
            ],
            open_debits: Vec::new(),
        };
        let journal = [
            journaled("+79161234567", Kind::Return, 40_00, 20_00),
            journaled("777", Kind::Sale, 100_00, 50_00),
        ];
        assert_eq!(reconcile(&ledger, &journal), Ok(()));
        let off = [
            journaled("777", Kind::Sale, 100_01, 50_00),
            journaled("777", Kind::Return, 40_00, 20_00),
        ];
        let problems = reconcile(&ledger, &off).expect_err("a kopeck off");
        assert!(problems.contains("100.01") && problems.contains("100.00"), "{problems}");
        let twice = Ledger {
            counted: [ledger.counted.clone(), ledger.counted.clone()].concat(),
            ..Ledger::default()
        };
        assert!(reconcile(&twice, &journal).is_err(), "counted twice");
        let open = Ledger {
            open_debits: vec![OpenDebit {
                client: vec!["777".into()],
                document: "u".into(),
                amount: Money(10_00),
            }],
            ..ledger
        };
        assert!(reconcile(&open, &journal).expect_err("open").contains("10.00"));
    }
}
