//! How the store's loyalty protocol runs a receipt — what differs between
//! the four specs' business processes — as policies, set once from config.
//!
//! Each policy is an enum, so a combination no protocol has cannot be
//! written: a till that asks Retry/Continue always confirms an offline
//! receipt later; only a till that probes the link treats a refusal as no
//! link; an SMS code before spending exists only where bonuses leave at the
//! confirmation; a write's text goes on a slip only where receipts are
//! written before printing.
//!
//! Session journals hold the settings: `Flow` keeps its first serialized
//! form (a flat record of switches, [`FlowRecord`]), so old journals replay.

use serde::{Deserialize, Serialize};

/// The policies of one protocol (see the constructors).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "FlowRecord", into = "FlowRecord")]
pub struct Flow {
    /// The name on queue entries.
    pub provider: String,
    pub link_loss: LinkLoss,
    pub lookup: ClientLookup,
    pub calculation: Calculation,
    pub spending: Spending,
    pub registration: Registration,
    pub promo_codes: PromoCodes,
    /// MaxBonus (from config): a sale with no client identified is still
    /// calculated and written, for the anonymous customer.
    pub anonymous: bool,
    /// MaxBonus: gift certificates pay through the loyalty server.
    pub certificates: bool,
    /// MaxBonus: an SMS with the chat bot's link can be sent to the client.
    pub chat_bot: bool,
}

/// What the till does when the loyalty server cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkLoss {
    /// Frontol: the cashier is asked Retry or Continue; a receipt that went
    /// on offline is still confirmed later (accrual only).
    AskThenConfirmLater,
    /// ProBonus, MaxBonus: the receipt goes on at once and is confirmed
    /// later; a client entered with no link is kept for it.
    ConfirmLater,
    /// KilBil's table: the link is probed at shift open and at the start of
    /// every receipt; a failed `processsale` or `getdetailingbymove`, refused
    /// or unanswered alike, means 'связь отсутствует'; a receipt without the
    /// link sends nothing, and the cashier is told once per outage. A refused
    /// confirmation is not final: it stays among the unsent receipts.
    ProbeAndSendNothing,
}

impl LinkLoss {
    pub fn asks(self) -> bool {
        self == LinkLoss::AskThenConfirmLater
    }

    pub fn confirms_offline(self) -> bool {
        self != LinkLoss::ProbeAndSendNothing
    }

    pub fn probes(self) -> bool {
        self == LinkLoss::ProbeAndSendNothing
    }

    pub fn refusal_means_offline(self) -> bool {
        self == LinkLoss::ProbeAndSendNothing
    }
}

/// When the client is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientLookup {
    /// Frontol: the client goes with the receipt's first request.
    WithFirstRequest,
    /// KilBil, ProBonus, MaxBonus: as soon as entered (name and balance on
    /// screen; an error on the info line).
    OnEntry,
}

impl ClientLookup {
    pub fn on_entry(self) -> bool {
        self == ClientLookup::OnEntry
    }
}

/// When the receipt is calculated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calculation {
    /// Frontol, MaxBonus: when the cashier asks (the subtotal).
    AtSubtotal,
    /// KilBil, ProBonus: every change of the receipt, in the background;
    /// `returns`: KilBil calculates a return against its sale when it opens.
    EveryChange { returns: bool },
}

impl Calculation {
    pub fn every_change(self) -> bool {
        matches!(self, Calculation::EveryChange { .. })
    }

    pub fn returns(self) -> bool {
        matches!(self, Calculation::EveryChange { returns: true })
    }
}

/// When bonuses leave the client's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spending {
    /// Frontol: `payByBonus` debits at once, so a payment in doubt or left
    /// on a receipt that goes away is cancelled on the server.
    AtOnce,
    /// KilBil, ProBonus: nothing is spent before the confirmation after
    /// closing; `sms_code` (KilBil, from config): a code sent to the
    /// client's phone is typed before spending.
    AtConfirmation { sms_code: bool },
    /// MaxBonus: the receipt is written to the server before it is printed
    /// (its text goes on it; a refusal is the cashier's to see), not
    /// confirmed after closing; `text_on_slip` (from config): the write's
    /// text on a slip of its own instead of the receipt's footer.
    AtWrite { text_on_slip: bool },
}

impl Spending {
    pub fn debits_at_once(self) -> bool {
        self == Spending::AtOnce
    }

    pub fn asks_sms_code(self) -> bool {
        self == Spending::AtConfirmation { sms_code: true }
    }

    pub fn writes_before_print(self) -> bool {
        matches!(self, Spending::AtWrite { .. })
    }

    pub fn text_on_slip(self) -> bool {
        self == Spending::AtWrite { text_on_slip: true }
    }
}

/// Registration of a new client at the till.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// Frontol: not in the protocol.
    Unsupported,
    /// KilBil (phone), MaxBonus (phone and name): confirmed by an SMS code.
    ByCode { name: bool },
    /// ProBonus: the account exists as soon as it is created (phone and name).
    AtOnce { name: bool },
}

impl Registration {
    pub fn supported(self) -> bool {
        self != Registration::Unsupported
    }

    pub fn by_code(self) -> bool {
        matches!(self, Registration::ByCode { .. })
    }

    pub fn asks_name(self) -> bool {
        matches!(self, Registration::ByCode { name: true } | Registration::AtOnce { name: true })
    }
}

/// Promo codes typed at the till.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromoCodes {
    Unsupported,
    /// MaxBonus: with the receipt's client.
    WithClient,
    /// KilBil: a promo code needs no client (the receipt goes as the anonymous one).
    WithoutClient,
}

impl PromoCodes {
    pub fn supported(self) -> bool {
        self != PromoCodes::Unsupported
    }

    pub fn without_client(self) -> bool {
        self == PromoCodes::WithoutClient
    }
}

impl Flow {
    /// Frontol: the precheck at the subtotal, Retry/Continue on a link
    /// failure, bonuses debited at once, offline receipts confirmed later.
    pub fn frontol() -> Flow {
        Flow {
            provider: "frontol".into(),
            link_loss: LinkLoss::AskThenConfirmLater,
            lookup: ClientLookup::WithFirstRequest,
            calculation: Calculation::AtSubtotal,
            spending: Spending::AtOnce,
            registration: Registration::Unsupported,
            promo_codes: PromoCodes::Unsupported,
            anonymous: false,
            certificates: false,
            chat_bot: false,
        }
    }

    /// KilBil: the link probed, the client looked up on entry and the
    /// receipt recalculated in the background; a receipt without the link
    /// sends nothing.
    pub fn kilbil(spend_code: bool) -> Flow {
        Flow {
            provider: "kilbil".into(),
            link_loss: LinkLoss::ProbeAndSendNothing,
            lookup: ClientLookup::OnEntry,
            calculation: Calculation::EveryChange { returns: true },
            spending: Spending::AtConfirmation { sms_code: spend_code },
            registration: Registration::ByCode { name: false },
            promo_codes: PromoCodes::WithoutClient,
            ..Flow::frontol()
        }
    }

    /// ProBonus: no server calculation (the limits are computed from the
    /// account's level), the purchase registered after closing.
    pub fn probonus() -> Flow {
        Flow {
            provider: "probonus".into(),
            link_loss: LinkLoss::ConfirmLater,
            lookup: ClientLookup::OnEntry,
            calculation: Calculation::EveryChange { returns: false },
            spending: Spending::AtConfirmation { sms_code: false },
            registration: Registration::AtOnce { name: true },
            ..Flow::frontol()
        }
    }

    /// MaxBonus: the client authorised on entry, the receipt calculated at
    /// the subtotal and written before it is printed; the anonymous customer
    /// and the write text's place from config.
    pub fn maxbonus(anonymous: bool, text_on_slip: bool) -> Flow {
        Flow {
            provider: "maxbonus".into(),
            link_loss: LinkLoss::ConfirmLater,
            lookup: ClientLookup::OnEntry,
            calculation: Calculation::AtSubtotal,
            spending: Spending::AtWrite { text_on_slip },
            registration: Registration::ByCode { name: true },
            promo_codes: PromoCodes::WithClient,
            anonymous,
            certificates: true,
            chat_bot: true,
        }
    }
}

impl Default for Flow {
    fn default() -> Self {
        Flow::frontol()
    }
}

/// `Flow`'s serialized form, as session journals have it: the switches of
/// the first design. Read back, the policies are the ones the switches
/// meant; a combination no protocol had reads as the nearest one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowRecord {
    provider: String,
    probe: bool,
    live: bool,
    background_calc: bool,
    ask_on_link_loss: bool,
    spend_debits_at_once: bool,
    return_calculated: bool,
    promo_codes: bool,
    registration: bool,
    spend_code: bool,
    registration_code: bool,
    registration_name: bool,
    confirm_offline: bool,
    #[serde(default)]
    refusal_means_offline: bool,
    #[serde(default)]
    promo_without_client: bool,
    write_before_close: bool,
    anonymous: bool,
    certificates: bool,
    chat_bot: bool,
    footer_on_slip: bool,
}

impl From<Flow> for FlowRecord {
    fn from(flow: Flow) -> FlowRecord {
        FlowRecord {
            provider: flow.provider,
            probe: flow.link_loss.probes(),
            live: flow.lookup.on_entry(),
            background_calc: flow.calculation.every_change(),
            ask_on_link_loss: flow.link_loss.asks(),
            spend_debits_at_once: flow.spending.debits_at_once(),
            return_calculated: flow.calculation.returns(),
            promo_codes: flow.promo_codes.supported(),
            registration: flow.registration.supported(),
            spend_code: flow.spending.asks_sms_code(),
            registration_code: flow.registration.by_code(),
            registration_name: flow.registration.asks_name(),
            confirm_offline: flow.link_loss.confirms_offline(),
            refusal_means_offline: flow.link_loss.refusal_means_offline(),
            promo_without_client: flow.promo_codes.without_client(),
            write_before_close: flow.spending.writes_before_print(),
            anonymous: flow.anonymous,
            certificates: flow.certificates,
            chat_bot: flow.chat_bot,
            footer_on_slip: flow.spending.text_on_slip(),
        }
    }
}

impl From<FlowRecord> for Flow {
    fn from(r: FlowRecord) -> Flow {
        let link_loss = match (r.ask_on_link_loss, r.confirm_offline) {
            (true, _) => LinkLoss::AskThenConfirmLater,
            (false, true) => LinkLoss::ConfirmLater,
            (false, false) => LinkLoss::ProbeAndSendNothing,
        };
        let spending = match (r.write_before_close, r.spend_debits_at_once) {
            (true, _) => Spending::AtWrite {
                text_on_slip: r.footer_on_slip,
            },
            (false, true) => Spending::AtOnce,
            (false, false) => Spending::AtConfirmation { sms_code: r.spend_code },
        };
        let registration = match (r.registration, r.registration_code) {
            (false, _) => Registration::Unsupported,
            (true, true) => Registration::ByCode { name: r.registration_name },
            (true, false) => Registration::AtOnce { name: r.registration_name },
        };
        let promo_codes = match (r.promo_codes, r.promo_without_client) {
            (false, _) => PromoCodes::Unsupported,
            (true, false) => PromoCodes::WithClient,
            (true, true) => PromoCodes::WithoutClient,
        };
        Flow {
            provider: r.provider,
            link_loss,
            lookup: if r.live {
                ClientLookup::OnEntry
            } else {
                ClientLookup::WithFirstRequest
            },
            calculation: match r.background_calc {
                true => Calculation::EveryChange {
                    returns: r.return_calculated,
                },
                false => Calculation::AtSubtotal,
            },
            spending,
            registration,
            promo_codes,
            anonymous: r.anonymous,
            certificates: r.certificates,
            chat_bot: r.chat_bot,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_flow() -> [Flow; 6] {
        [
            Flow::frontol(),
            Flow::kilbil(false),
            Flow::kilbil(true),
            Flow::probonus(),
            Flow::maxbonus(true, false),
            Flow::maxbonus(false, true),
        ]
    }

    #[test]
    fn each_protocol_reads_back_as_written() {
        for flow in every_flow() {
            let json = serde_json::to_string(&flow).expect("serializes");
            assert_eq!(serde_json::from_str::<Flow>(&json).expect("reads"), flow, "{json}");
        }
    }

    /// A session journal written before the policies: KilBil's switches as they were.
    #[test]
    fn an_old_journal_reads_as_the_same_policies() {
        let old = r#"{"provider":"kilbil","probe":true,"live":true,"background_calc":true,
            "ask_on_link_loss":false,"spend_debits_at_once":false,"return_calculated":true,
            "promo_codes":true,"registration":true,"spend_code":true,"registration_code":true,
            "registration_name":false,"confirm_offline":false,"refusal_means_offline":true,
            "promo_without_client":true,"write_before_close":false,"anonymous":false,
            "certificates":false,"chat_bot":false,"footer_on_slip":false}"#;
        assert_eq!(serde_json::from_str::<Flow>(old).expect("reads"), Flow::kilbil(true));
    }
}
