//! What the info line tells the cashier. The Russian wording is in `crate::text`.

use super::command::Command;
use super::journal::ReceiptId;
use super::money::{AmountError, Money, Quantity};
use super::state::CashDirection;
use super::storage::StorageFailure;

/// A line of a message window: the loyalty server's own text, or what the
/// till itself says — typed here, its words in `crate::text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    Server(super::loyalty::TextBlock),
    LoyaltyError(super::loyalty::LoyaltyError),
    /// A notice's words, as a line of the window.
    Notice(Box<Notice>),
    BonusNotCancelled,
    RemoveClient,
    LinkDown,
    ConfirmRefused,
    WriteOffline,
    WriteFailedNext,
    /// The server's bonus distribution did not add up: the payment is cancelled.
    BadDistribution(Money),
    CertificateUnusable {
        code: String,
        status: Option<String>,
    },
    UnreadableAnswer,
}

/// Why a marked unit was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkReason {
    Check(super::marking::MarkCheck),
    Failure(super::marking::MarkFailure),
    /// The cashier refused it after seeing the check.
    Cashier,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    // Ringing up
    UnknownBarcode(String),
    UnknownCode(String),
    BadCheckDigit(String),
    ReceiptBarcodeInSale,
    InputTooLong(usize),
    BadAmount(AmountError),
    BadPercent(String),
    WholePiecesOnly(String),
    QuantityTooLarge(Quantity),
    PositionSumTooLarge(Money),
    ReceiptSumTooLarge(Money),
    /// Cash typed that would give more change than allowed.
    ChangeTooLarge {
        change: Money,
        max: Money,
    },
    TooManyPositions(usize),
    TypeQuantityFirst,
    ReceiptEmpty,
    DiscountCapped,
    DiscountOnReturn,
    PaymentsLockReceipt,
    ReturnReceiptLocked,
    Removed(String),
    // Marked goods
    /// A scan read as a marking code but is not a right one (shown as scanned, cut).
    MarkCodeBad {
        code: String,
        error: super::marking::MarkCodeError,
    },
    /// No catalog item has the code's GTIN.
    MarkUnknownGtin(String),
    /// A marked good's plain barcode or item code: its marking code is needed.
    MarkCodeNeeded(String),
    /// Marked goods are sold only through a fiscal registrar, which checks the codes.
    MarkNeedsRegistrar(String),
    /// The unit is in this receipt already.
    MarkTwice(String),
    /// A quantity typed for a marked good: each unit is one scanned code.
    MarkOneCodeEach(String),
    /// The position needs `more` codes scanned for the quantity typed.
    MarkScanMore {
        name: String,
        more: usize,
    },
    /// The code was checked and its unit taken.
    MarkTaken {
        name: String,
        verdict: super::marking::Verdict,
    },
    /// The unit was not taken: what the check said, or the cashier.
    MarkRefused {
        name: String,
        reason: MarkReason,
    },
    /// The registrar did not take the decision (it checks the code again when registering).
    MarkDecisionLost(super::marking::MarkFailure),
    /// A return: the code is of none of the sale's positions.
    MarkNotInSale(String),
    /// Esc in the age dialog: the item is not sold.
    AgeNotConfirmed(String),
    AgeConfirmed,
    /// Alcohol outside the hours it may be sold in.
    AlcoholHours {
        name: String,
        hours: super::age::AlcoholHours,
    },
    // Shift
    NoShift,
    ShiftExpired,
    ShiftAlreadyOpen(u32),
    FinishReceiptFirst,
    CashierNameEmpty,
    ShiftOpened(u32),
    ShiftClosed(u32),
    CashMoved(CashDirection, Money),
    NotEnoughCash {
        needed: Money,
        drawer: Money,
    },
    // Payment
    CardOverpay {
        remaining: Money,
    },
    ReceiptClosed {
        id: ReceiptId,
        change: Money,
    },
    ReceiptCancelled,
    NoPayments,
    // Returns
    ReturnQueryNotUnderstood(String),
    NothingFound,
    NotASale(ReceiptId),
    NothingLeftToReturn(ReceiptId),
    ReturnMoreThanAvailable {
        available: Quantity,
    },
    NothingChosen,
    // Persistence and devices
    SaveFailed(StorageFailure),
    /// The last save failed (a full disk): nothing more is sold until one succeeds.
    NothingNewUnsaved(StorageFailure),
    CloseFailed(StorageFailure),
    ShiftCloseFailed(StorageFailure),
    PrintFailed(crate::core::device::DeviceProblem),
    /// A closed receipt is not registered by the fiscal registrar yet
    /// (`in_flight`: the registrar is at it): nothing new starts before it.
    NotRegistered {
        receipt: Option<ReceiptId>,
        in_flight: bool,
    },
    /// The receipt that waited is registered: the till goes on.
    Registered(Option<ReceiptId>),
    /// «Повтор печати» sent the waiting receipt to the registrar again.
    RegistrationRetried,
    /// A device stopped working: unplugged, out of paper.
    DeviceDown(String, crate::core::device::DeviceState),
    /// The device that was down works again (replaces its "down" notice).
    DeviceBack(String),
    /// A scanner or card reader sent something that is not a code.
    DeviceTrouble(String),
    /// A card swiped where no client is asked for.
    SwipeNotNow,
    LookupFailed(StorageFailure),
    NothingToPrint,
    StoreWarning(String),
    /// Started on the store's reserve: the disk is full.
    StartedOnReserve,
    Resumed,
    /// The last run ended in a crash (its report is next to the logs).
    RestartedAfterCrash,
    ResumedClosing,
    NotHere(Command),
    // Loyalty
    NoLoyalty,
    BadClientId(String),
    ClientSet(String),
    ClientRemoved,
    RemoveBonusFirst,
    BonusPaidLocksReceipt,
    LoyaltyRefused(String),
    OfflineAccrualOnly,
    WrongValidationCode,
    BonusNotAvailable,
    BonusTooMuch {
        limit: Money,
    },
    BonusPaid(Money),
    BonusCancelled(Money),
    /// The code's discount goes below the minimum prices: not used (MaxBonus books its calculation whole).
    PromoOverFloors(String),
    /// The loyalty server would not take a return against its sale (its text): refunded without loyalty.
    ReturnWithoutLoyalty(String),
    /// The cancel got no answer: it goes through the queue; the payment is off the receipt.
    BonusCancelQueued(Money),
    /// Esc while a bonus payment (or its cancel, or a write) is on its way:
    /// that wait cannot be cut short, the answer settles the money.
    WaitCannotStop,
    NoBonusPaid,
    ConfirmQueued,
    QueuedSent,
    QueuedRefused(String),
    LostBonusCancelled(Money),
    ScanNotNow(String),
    StorageStuck,
    LostBonusInDoubt(Money),
    /// The loyalty server's answer in the client form (KilBil: the info line).
    LoyaltyAnswer(super::loyalty::LoyaltyError),
    /// No link for this receipt: it goes on without loyalty.
    LoyaltyOffline,
    /// The store's loyalty protocol has no such operation.
    NotInProtocol(Command),
    PromoNeedsClient,
    PromoSet(String),
    PromoRemoved,
    ClientRegistered,
    CodeSent,
    /// Registration needs at least the guest's name.
    NameNeeded,
    /// Unreadable queue entries were moved to the `corrupt` tree.
    QueueEntriesSetAside(usize),
    /// The operation is for an identified client.
    ClientNeeded,
    /// The anonymous customer neither gains nor spends bonuses.
    AnonymousNoBonus,
    ChatBotSent,
    CertificateAccepted(Money),
    /// The certificate has nothing left, or the receipt is paid.
    CertificateEmpty,
    CertificateTwice(String),
}

impl Notice {
    pub fn level(&self) -> Level {
        use Notice::*;
        match self {
            ShiftOpened(_)
            | ShiftClosed(_)
            | CashMoved(..)
            | ReceiptClosed { .. }
            | ReceiptCancelled
            | Removed(_)
            | Resumed
            | ResumedClosing
            | ClientSet(_)
            | ClientRemoved
            | BonusPaid(_)
            | BonusCancelled(_)
            | QueuedSent
            | PromoSet(_)
            | PromoRemoved
            | ClientRegistered
            | ChatBotSent
            | CertificateAccepted(_)
            | Registered(_)
            | RegistrationRetried
            | CodeSent
            | MarkTaken {
                verdict: super::marking::Verdict::Good,
                ..
            }
            | DeviceBack(_)
            | AgeConfirmed => Level::Info,
            MarkTaken { .. } | MarkDecisionLost(_) | MarkOneCodeEach(_) | MarkScanMore { .. } => Level::Warning,
            AgeNotConfirmed(_) | AlcoholHours { .. } => Level::Warning,
            ClientNeeded | AnonymousNoBonus | CertificateEmpty | CertificateTwice(_) | DeviceTrouble(_) | SwipeNotNow => Level::Warning,
            OfflineAccrualOnly | LoyaltyOffline | ConfirmQueued | NoBonusPaid | BonusNotAvailable | BonusCancelQueued(_)
            | WaitCannotStop => Level::Warning,
            NameNeeded | DiscountCapped | NothingToPrint | NotHere(_) | TypeQuantityFirst | ReceiptEmpty | NoPayments => Level::Warning,
            NotRegistered { in_flight: true, .. } => Level::Warning,
            _ => Level::Error,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}
