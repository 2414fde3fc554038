//! The whole application state. `update` is the only code that changes it;
//! views only read it.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Arc;

use super::barcode::WeightLayout;
use super::catalog::Catalog;
use super::event::Event;
use super::journal::{ClosedReceipt, ReceiptId, ReturnSource};
use super::money::{Money, Quantity};
use super::notice::Notice;
use super::receipt::Receipt;
use super::shift::{Shift, Summary};
use crate::core::print::document::Document;

/// Validated settings the core needs (built once from config). Written
/// into session journals, so a replay runs with the store's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub store_id: String,
    pub store_name: String,
    /// The address and place of settlement printed on receipts.
    pub store_address: String,
    /// The seller's organisation, ИНН and tax system, printed on receipts.
    #[serde(default)]
    pub requisites: super::requisites::Requisites,
    pub register_id: String,
    pub weight_layout: WeightLayout,
    pub limits: Limits,
    /// Scanning the item of the last position again adds to its quantity.
    pub merge_same_items: bool,
    pub printer_width: usize,
    /// A loyalty provider is configured (the demo has one).
    pub loyalty: bool,
    /// How that provider runs a receipt.
    pub flow: super::loyalty::Flow,
    /// The printer is a fiscal registrar: a receipt is done only once it
    /// registered it, and the till waits on it till then.
    #[serde(default)]
    pub fiscal: bool,
    /// What to do with marking codes the registrar refuses or cannot check.
    #[serde(default)]
    pub marking: super::marking::MarkingRules,
    /// When alcohol may be sold (`[sale] alcohol_hours`).
    #[serde(default)]
    pub alcohol_hours: super::age::AlcoholHours,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub max_quantity: Quantity,
    pub max_position_sum: Money,
    pub max_receipt_sum: Money,
    /// The most change cash may give: more means a mistyped amount (or a
    /// barcode scanned into the amount field), not a customer's cash.
    #[serde(default = "Limits::default_max_change")]
    pub max_change: Money,
    pub max_positions: usize,
    pub max_input_chars: usize,
    /// Beyond these the cashier is asked before the quantity is taken: a
    /// weight typed in grams, a code typed as a quantity.
    #[serde(default = "Limits::default_ask_weight_over")]
    pub ask_weight_over: Quantity,
    #[serde(default = "Limits::default_ask_pieces_over")]
    pub ask_pieces_over: Quantity,
    #[serde(default = "Limits::default_ask_sum_over")]
    pub ask_position_sum_over: Money,
}

impl Limits {
    /// Two of the largest banknotes (5000 ₽).
    fn default_max_change() -> Money {
        Money(10_000_00)
    }

    /// 30 kg: more than a shopper carries of one weighed item.
    fn default_ask_weight_over() -> Quantity {
        Quantity(30_000)
    }

    fn default_ask_pieces_over() -> Quantity {
        Quantity::pieces(100)
    }

    fn default_ask_sum_over() -> Money {
        Money(100_000_00)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_quantity: Quantity(99_999_000),
            max_position_sum: Money(10_000_000_00),
            max_receipt_sum: Money(100_000_000_00),
            max_change: Limits::default_max_change(),
            max_positions: 1000,
            max_input_chars: 48,
            ask_weight_over: Limits::default_ask_weight_over(),
            ask_pieces_over: Limits::default_ask_pieces_over(),
            ask_position_sum_over: Limits::default_ask_sum_over(),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            store_id: "0001".into(),
            store_name: crate::text::DEMO_STORE_NAME.into(),
            store_address: crate::text::DEMO_STORE_ADDRESS.into(),
            requisites: super::requisites::Requisites::demo(),
            register_id: "01".into(),
            weight_layout: WeightLayout::default(),
            limits: Limits::default(),
            merge_same_items: true,
            printer_width: 42,
            loyalty: false,
            flow: Default::default(),
            fiscal: false,
            marking: Default::default(),
            alcohol_hours: Default::default(),
        }
    }
}

/// A document waiting for the printer; kept durable until printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintJob {
    pub id: u64,
    pub document: Document,
    /// The receipt this job prints (its original, not a copy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<ReceiptId>,
}

impl PrintJob {
    /// A receipt a fiscal registrar registers (not a copy, report or slip).
    pub fn is_fiscal_receipt(&self) -> bool {
        matches!(self.document.fiscal, Some(crate::core::print::document::Fiscal::Receipt(_)))
    }
}

/// Why the printer did not print a job, the last time it was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintFailure {
    pub reason: crate::core::device::DeviceProblem,
    /// Refused before anything was sent (a registrar's shift past 24
    /// hours): nothing is in doubt, and the Z-report that cures it may go.
    pub refused: bool,
}

/// What must survive a crash: written to disk after every change.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Durable {
    /// Shift numbers keep growing across restarts.
    pub last_shift_number: u32,
    /// Cash left in the drawer when the last shift closed.
    pub drawer_cash: Money,
    pub shift: Option<Shift>,
    pub receipt: Option<Receipt>,
    pub last_receipt: Option<ClosedReceipt>,
    pub unprinted: Vec<PrintJob>,
    pub next_print_job: u64,
    /// The id the next loyalty queue entry gets.
    #[serde(default)]
    pub next_outgoing: u64,
    /// Queue entries the store could not take (a full disk): kept here, in
    /// the state, and queued again on the next tick.
    #[serde(default)]
    pub unqueued: Vec<crate::core::queue::QueueEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CashDirection {
    In,
    Out,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question {
    CancelReceipt,
    CloseShift,
    Quit,
    RemoveClient,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscountTarget {
    Position(usize),
    Receipt,
}

/// Whose quantity the quantity dialog sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuantityTarget {
    Position(usize),
    /// A weighed item scanned without a weight: ask for it before adding.
    NewItem {
        item_code: String,
        barcode: Option<String>,
    },
}

/// One line of the search dialog's result list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub code: String,
    pub name: String,
    pub price: Money,
}

/// The modal dialog on top of the sale screen. One view file per variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    OpenShift {
        name: String,
    },
    CashMove {
        direction: CashDirection,
        amount: String,
    },
    Quantity {
        target: QuantityTarget,
        input: String,
    },
    /// A quantity far beyond what the item sells in: the likely meaning
    /// (a weight typed in grams) or no change, or the quantity as typed.
    Doubt {
        target: QuantityTarget,
        typed: Quantity,
        /// What was probably meant, when there is a likely reading.
        likely: Option<Quantity>,
        /// 0: the likely meaning (or cancel); 1: as typed.
        selected: usize,
    },
    Search {
        query: String,
        results: Vec<Found>,
        selected: usize,
    },
    Discount {
        target: DiscountTarget,
        input: String,
    },
    Payment {
        input: String,
    },
    Confirm(Question),
    ReturnFind {
        input: String,
        results: Vec<ReturnSource>,
        selected: usize,
    },
    ReturnPick {
        source: Box<ReturnSource>,
        quantities: Vec<Quantity>,
        selected: usize,
        input: String,
        /// The codes scanned for each marked position: its quantity is their number.
        marks: Vec<Vec<super::marking::MarkCode>>,
    },
    Preview {
        title: PreviewTitle,
        lines: Vec<String>,
        scroll: usize,
    },
    Menu {
        selected: usize,
        /// Digits of an entry's number typed so far.
        typed: String,
    },
    Help {
        scroll: usize,
    },
    /// Entering the loyalty client: card, phone, or a scanned card or QR.
    Client {
        input: String,
    },
    /// The precheck asked for a code; its answer waits until the code is right.
    ValidationCode {
        reply: Box<crate::core::loyalty::Reply>,
        input: String,
    },
    /// The promo code of the receipt (one; empty removes it).
    PromoCode {
        input: String,
    },
    /// A new client's phone; then the SMS code sent to it.
    Register {
        input: String,
    },
    RegistrationCode {
        phone: String,
        profile: crate::core::loyalty::Profile,
        input: String,
    },
    /// A new guest's name, after the phone (ProBonus).
    RegisterName {
        phone: String,
        input: String,
    },
    /// The SMS code that allows spending `amount` of bonuses.
    SpendCode {
        amount: Money,
        input: String,
    },
    /// A gift certificate's code, scanned or typed.
    Certificate {
        input: String,
    },
    /// The usable certificate's pin.
    CertificatePin {
        code: String,
        balance: Money,
        input: String,
    },
    /// Text from the loyalty system (or about it), then `then`.
    Message {
        blocks: Vec<super::notice::Said>,
        then: Option<Box<Dialog>>,
    },
    /// How much to pay by bonus.
    Bonus {
        input: String,
    },
    /// No link to the loyalty server: retry, or go on without it.
    LinkLost {
        retry: LoyaltyPurpose,
    },
    /// The electronic receipt's contact, before closing.
    Contact {
        options: Vec<String>,
        selected: usize,
        input: String,
    },
    /// A balance enquiry outside a receipt.
    Balance {
        input: String,
    },
    /// The loyalty queue screen.
    Queue(QueueScreen),
    /// A closed receipt the fiscal registrar has not registered yet: why,
    /// and what to do. It stays until the receipt is registered.
    Registration,
    /// The registrar's check of a marking code refused it or could not say:
    /// the cashier decides (the config's rule says to ask).
    MarkCheck {
        check: super::marking::MarkCheck,
        /// The window the scan came from (a return's), back after the answer.
        under: Option<Box<Dialog>>,
    },
    /// An item's price and kind by a code scanned or typed; the receipt is untouched.
    PriceCheck {
        input: String,
        found: Option<Box<super::catalog::Item>>,
    },
    /// Goods sold from 18: is the buyer that old? Then `waiting` goes on.
    Age {
        waiting: super::age::AgeWaiting,
    },
}

impl Dialog {
    /// The dialog's name, as replay scripts (`expect dialog NAME`) and
    /// support's status know it.
    pub fn name(&self) -> &'static str {
        match self {
            Dialog::OpenShift { .. } => "open_shift",
            Dialog::CashMove { .. } => "cash_move",
            Dialog::Quantity { .. } => "quantity",
            Dialog::Doubt { .. } => "doubt",
            Dialog::Search { .. } => "search",
            Dialog::Discount { .. } => "discount",
            Dialog::Payment { .. } => "payment",
            Dialog::Confirm(_) => "confirm",
            Dialog::ReturnFind { .. } => "return_find",
            Dialog::ReturnPick { .. } => "return_pick",
            Dialog::Preview { .. } => "preview",
            Dialog::Menu { .. } => "menu",
            Dialog::Help { .. } => "help",
            Dialog::Client { .. } => "client",
            Dialog::ValidationCode { .. } => "validation_code",
            Dialog::Message { .. } => "message",
            Dialog::Bonus { .. } => "bonus",
            Dialog::LinkLost { .. } => "link_lost",
            Dialog::Contact { .. } => "contact",
            Dialog::Registration => "registration",
            Dialog::MarkCheck { .. } => "mark_check",
            Dialog::PriceCheck { .. } => "price_check",
            Dialog::Balance { .. } => "balance",
            Dialog::Queue(_) => "queue",
            Dialog::PromoCode { .. } => "promo_code",
            Dialog::Register { .. } => "register",
            Dialog::RegistrationCode { .. } => "registration_code",
            Dialog::RegisterName { .. } => "register_name",
            Dialog::SpendCode { .. } => "spend_code",
            Dialog::Certificate { .. } => "certificate",
            Dialog::CertificatePin { .. } => "certificate_pin",
            Dialog::Age { .. } => "age",
        }
    }
}

/// The loyalty queue screen: pending entries or the rejected archive, a
/// list or one entry's details.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueScreen {
    pub pending: Vec<crate::core::queue::QueueEntry>,
    pub rejected: Vec<crate::core::queue::Rejected>,
    pub show_rejected: bool,
    pub selected: usize,
    pub details: bool,
}

/// What a loyalty request is for, to know what to do with its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoyaltyPurpose {
    Calculate,
    PayByBonus {
        amount: Money,
    },
    CancelBonus {
        amount: Money,
    },
    ClientInfo,
    /// Cancelling a bonus payment in doubt (its answer was lost, or a crash
    /// came first); `then_pay`: the cashier chose Retry, so once the doubt
    /// is settled that payment is really sent again.
    Recover {
        amount: Money,
        then_pay: Option<Money>,
    },
    /// A queue entry (a confirmation after closing, or a cancellation).
    Confirm {
        outgoing: u64,
    },
    /// The link probe (KilBil): at shift open and at the start of a receipt.
    Probe,
    /// Looking the client up as soon as entered (KilBil).
    Identify {
        client: crate::core::loyalty::ClientId,
    },
    /// A background recalculation of the receipt as it was sent (KilBil).
    Recalculate {
        document: Box<crate::core::loyalty::Document>,
    },
    /// A return checked and calculated against its sale (KilBil).
    ReturnCheck,
    /// A new client: the SMS code went out, or the code was checked.
    Register {
        phone: String,
        profile: crate::core::loyalty::Profile,
    },
    ConfirmRegistration {
        phone: String,
        profile: crate::core::loyalty::Profile,
    },
    ResendCode {
        phone: String,
        profile: crate::core::loyalty::Profile,
    },
    ChatBot,
    CertificateInfo,
    /// The write before printing; `contact` is the e-receipt's, for the close after it.
    Write {
        contact: Option<String>,
    },
    /// The SMS code before spending `amount`: sent, or checked.
    SendSpendCode {
        amount: Money,
    },
    CheckSpendCode {
        amount: Money,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviewTitle {
    Receipt { id: ReceiptId, change: Money },
    Summary(Summary),
    Document,
}

/// Slow work the screen is waiting for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Busy {
    ClosingReceipt(Box<Durable>, Vec<crate::core::queue::QueueEntry>),
    ClosingShift(Box<Durable>),
    FindingReceipts,
    /// Waiting for the loyalty server (bounded by the provider's timeout).
    Loyalty,
    /// Waiting for the registrar's check of a marking code (bounded by the driver's timeout).
    MarkCheck,
}

/// A scanned marking code on its way through the registrar's check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkWait {
    pub id: u64,
    pub item_code: String,
    pub name: String,
    pub code: super::marking::MarkCode,
    pub purpose: MarkPurpose,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkPurpose {
    /// A unit sold.
    Sale,
    /// A unit of sale `original`'s position `index` brought back, picked in the return window.
    Return { original: super::journal::ReceiptId, index: usize },
}

#[derive(Debug, Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub catalog: Arc<Catalog>,
    pub now: NaiveDateTime,
    pub durable: Durable,
    /// The last state handed to the store; a difference means a save is due.
    pub(crate) saved: Durable,
    /// The sale screen's input line (barcode, code or quantity being typed).
    pub input: String,
    /// Set by `3` + multiply: the quantity of the next scanned item.
    pub pending_quantity: Option<Quantity>,
    /// Selected receipt row.
    pub selected: usize,
    pub dialog: Option<Dialog>,
    pub notice: Option<Notice>,
    /// The loyalty server's last message to the cashier (Frontol's
    /// `cashierInformation`): shown under the receipt, no key to dismiss it;
    /// it goes when the next receipt starts or this one closes, or the next message comes.
    pub loyalty_note: Vec<crate::core::loyalty::TextBlock>,
    pub busy: Option<Busy>,
    /// The marking code being checked, or waiting for the cashier's decision.
    pub mark_wait: Option<MarkWait>,
    /// Input that arrived while busy; handled, in order, once the work is done.
    pub(crate) deferred: VecDeque<Event>,
    /// The last save failed: shown until a save succeeds.
    pub save_error: Option<super::storage::StorageFailure>,
    pub quit: bool,
    /// The loyalty link lamp: `None` before any answer, then whether the last request got through.
    pub link: Option<bool>,
    /// Loyalty requests in flight and what each is for.
    pub loyalty_requests: Vec<(u64, LoyaltyPurpose)>,
    /// Requests the cashier stopped waiting for (Esc): their answers only light the lamp.
    pub abandoned: Vec<u64>,
    /// Requests not sent because the lamp is red, answered as no link right after the handler.
    pub(crate) unsent: VecDeque<u64>,
    /// While the lamp is red: when the background probe goes next.
    pub next_probe: Option<NaiveDateTime>,
    pub next_request: u64,
    /// The loyalty queue: how deep, and what goes next (the store has the rest).
    pub queue: crate::core::queue::QueueView,
    /// Each device's last reported state, by name (`printer`, `scanner`, `card-reader`).
    pub devices: std::collections::BTreeMap<String, crate::core::device::DeviceState>,
    /// Print jobs handed to the printer and not answered yet: never sent twice at once.
    pub printing: std::collections::BTreeSet<u64>,
    /// Why each unprinted job failed, as the printer last answered (not
    /// durable: after a restart the jobs are sent again and answer anew).
    pub print_failures: std::collections::BTreeMap<u64, PrintFailure>,
    /// Support engineers watching the screen (`kassa watch`); the cashier sees that someone is.
    pub watchers: usize,
    /// The last warnings and errors shown, with when (for `kassa status`).
    pub recent_problems: VecDeque<(NaiveDateTime, crate::core::notice::Notice)>,
}

/// How many shown warnings and errors `AppState::recent_problems` keeps.
pub const RECENT_PROBLEMS: usize = 10;

impl AppState {
    /// The state after start-up, from what the store kept.
    pub fn restore(settings: Arc<Settings>, catalog: Arc<Catalog>, durable: Durable, now: NaiveDateTime) -> AppState {
        let selected = durable.receipt.as_ref().map_or(0, |r| r.positions.len().saturating_sub(1));
        AppState {
            settings,
            catalog,
            now,
            saved: durable.clone(),
            durable,
            input: String::new(),
            pending_quantity: None,
            selected,
            dialog: None,
            notice: None,
            loyalty_note: Vec::new(),
            busy: None,
            mark_wait: None,
            deferred: VecDeque::new(),
            save_error: None,
            quit: false,
            link: None,
            loyalty_requests: Vec::new(),
            abandoned: Vec::new(),
            unsent: VecDeque::new(),
            next_probe: None,
            next_request: 0,
            queue: Default::default(),
            devices: Default::default(),
            printing: Default::default(),
            print_failures: Default::default(),
            watchers: 0,
            recent_problems: VecDeque::new(),
        }
    }

    pub fn receipt(&self) -> Option<&Receipt> {
        self.durable.receipt.as_ref()
    }

    pub fn shift(&self) -> Option<&Shift> {
        self.durable.shift.as_ref()
    }

    /// The oldest receipt closed but not yet registered by the fiscal
    /// registrar. While there is one the till stays on it: no new receipt,
    /// no return, no shift close (with a plain printer: never any).
    pub fn unregistered(&self) -> Option<&PrintJob> {
        if !self.settings.fiscal {
            return None;
        }
        self.durable.unprinted.iter().find(|job| job.is_fiscal_receipt())
    }

    /// The id the open (or next) receipt will close with.
    pub fn current_receipt_id(&self) -> Option<ReceiptId> {
        self.shift().map(Shift::next_receipt_id)
    }
}
