//! Every Russian word the cashier sees on screen or on paper lives here.

use crate::core::command::Command;
use crate::core::device::{DeviceProblem, DeviceState, PortFailure};
use crate::core::marking::{LocalCheck, MarkCheck, MarkCodeError, MarkFailure, OnlineCheck, Verdict};
use crate::core::money::AmountError;
use crate::core::notice::{MarkReason, Notice};
use crate::core::shift::SummaryKind;
use crate::core::state::{CashDirection, Question};
use crate::core::storage::StorageFailure;

/// Short label of a command for the key-hint line and the help screen.
pub fn command_label(command: Command) -> &'static str {
    use Command::*;
    match command {
        Confirm => "Ввод",
        Cancel => "Отмена",
        Backspace => "Стереть",
        Up => "Вверх",
        Down => "Вниз",
        PageUp => "Стр. вверх",
        PageDown => "Стр. вниз",
        Home => "В начало",
        End => "В конец",
        Multiply => "Количество ×",
        Quantity => "Изм. кол-во",
        Storno => "Сторно",
        CancelReceipt => "Отмена чека",
        Search => "Поиск",
        Discount => "Скидка",
        NextField => "Переключить",
        Pay => "Оплата",
        PayCard => "Картой",
        OpenShift => "Открыть смену",
        CloseShift => "Закрыть смену",
        CashIn => "Внесение",
        CashOut => "Выплата",
        XReport => "X-отчёт",
        ReturnReceipt => "Возврат",
        Reprint => "Повтор печати",
        Menu => "Меню",
        Help => "Справка",
        Quit => "Выход",
        Client => "Клиент",
        BonusPayment => "Бонусы",
        CancelBonusPayment => "Отмена бонусов",
        Balance => "Баланс",
        PriceCheck => "Проверка цены",
        Queue => "Очередь",
        SendNow => "Отправить",
        PromoCode => "Промокод",
        RegisterClient => "Новый клиент",
        Certificate => "Сертификат",
        EReceipt => "Эл. чек",
        ChatBotLink => "Ссылка на чат-бот",
    }
}

pub fn amount_error(error: &AmountError) -> String {
    match error {
        AmountError::NotANumber(s) => format!("«{s}» — не число"),
        AmountError::TooPrecise(s, scale) => format!("«{s}» — не больше {scale} знаков после запятой"),
        AmountError::TooLarge(s) => format!("«{s}» — слишком большое значение"),
        AmountError::NotPositive(s) => format!("«{s}» — нужно больше нуля"),
    }
}

/// The live keymap as a text needs it: the key bound to a command, if any.
pub type KeyOf<'a> = &'a dyn Fn(Command) -> Option<String>;

/// A dialog's hint: what each key does there, the keys taken from the live keymap.
pub type KeyedHint = &'static [(Command, &'static str)];

/// Fills `{key:COMMAND}` in a text made where no keymap is at hand (the
/// core's messages) with the key bound now.
pub fn with_keys(text: &str, key: KeyOf) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("{key:") {
        let tail = &rest[at + 5..];
        let Some(end) = tail.find('}') else { break };
        out.push_str(&rest[..at]);
        match Command::from_name(&tail[..end]) {
            Some(command) => out.push_str(&key_or_menu(key, command)),
            None => out.push_str(&rest[at..at + 5 + end + 1]),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

/// «Enter — да, Esc — нет» with the keys bound now (a command with no key
/// is named as it is in the menu).
pub fn keyed_hint(hint: KeyedHint, key: KeyOf) -> String {
    hint.iter()
        .map(|(command, what)| format!("{} — {what}", key_or_menu(key, *command)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// «F2», or «Поиск» in the menu when no key is bound to the command.
fn key_or_menu(key: KeyOf, command: Command) -> String {
    key(command).unwrap_or_else(|| format!("«{}» в меню", command_label(command)))
}

/// A notice as the cashier reads it, naming keys from the live keymap.
pub fn notice_keyed(notice: &Notice, key: KeyOf) -> String {
    use Notice::*;
    match notice {
        UnknownCode(code) => format!("Товар с кодом «{code}» не найден ({} — поиск)", key_or_menu(key, Command::Search)),
        SwipeNotNow => format!("Карта не принята: сначала закройте окно ({})", key_or_menu(key, Command::Cancel)),
        ScanNotNow(code) => format!(
            "Скан {code} не принят: сначала закройте окно ({})",
            key_or_menu(key, Command::Cancel)
        ),
        // A device's or the core's text may carry `{key:…}` tokens.
        other => with_keys(&notice_text(other), key),
    }
}

/// A notice where no keymap is at hand (support's status): keys by their labels.
pub fn notice(notice: &Notice) -> String {
    notice_keyed(notice, &|_| None)
}

/// A notice's text, `{key:…}` tokens still in it.
fn notice_text(notice: &Notice) -> String {
    use Notice::*;
    match notice {
        UnknownCode(_) | SwipeNotNow | ScanNotNow(_) => notice_keyed(notice, &|_| None),
        UnknownBarcode(code) => format!("Штрихкод {code} не найден в каталоге"),
        BadCheckDigit(code) => format!("Штрихкод {code}: неверная контрольная цифра — отсканируйте ещё раз"),
        ReceiptBarcodeInSale => "Это штрихкод чека: для возврата нажмите «Возврат»".into(),
        InputTooLong(max) => format!("Слишком длинный ввод (не больше {max} знаков)"),
        BadAmount(e) => amount_error(e),
        BadPercent(s) => format!("«{s}» — процент от 0 до 100, например 10%"),
        WholePiecesOnly(name) => format!("«{name}» продаётся поштучно: количество должно быть целым"),
        QuantityTooLarge(max) => format!("Количество больше допустимого ({max})", max = max.on_screen()),
        PositionSumTooLarge(max) => format!("Сумма позиции больше допустимой ({max})", max = max.on_screen()),
        ReceiptSumTooLarge(max) => format!("Сумма чека больше допустимой ({max})", max = max.on_screen()),
        ChangeTooLarge { change, max } => format!(
            "Сдача {change} больше допустимой ({max}): проверьте сумму",
            change = change.on_screen(),
            max = max.on_screen()
        ),
        TooManyPositions(max) => format!("В чеке уже {max} позиций — закройте чек"),
        TypeQuantityFirst => "Сначала введите количество, затем ×".into(),
        ReceiptEmpty => "Чек пуст".into(),
        DiscountCapped => "Скидка ограничена минимальной ценой".into(),
        DiscountOnReturn => "В чеке возврата скидки не меняются".into(),
        PaymentsLockReceipt => "Чек частично оплачен: сначала отмените оплаты (Оплата, затем Сторно)".into(),
        ReturnReceiptLocked => "В чек возврата нельзя добавлять товары".into(),
        MarkCodeBad { .. }
        | MarkUnknownGtin(_)
        | MarkCodeNeeded(_)
        | MarkNeedsRegistrar(_)
        | MarkTwice(_)
        | MarkOneCodeEach(_)
        | MarkScanMore { .. }
        | MarkTaken { .. }
        | MarkRefused { .. }
        | MarkDecisionLost(_)
        | MarkNotInSale(_) => goods_notice(notice),
        Removed(name) => format!("Сторно: {name}"),
        AgeNotConfirmed(_) | AgeConfirmed | AlcoholHours { .. } => goods_notice(notice),
        NoShift => "Смена не открыта (Открыть смену)".into(),
        ShiftExpired => "Смена длится больше 24 часов — закройте смену".into(),
        NothingNewUnsaved(e) => {
            format!(
                "Товар не добавлен: данные не сохраняются ({}) — позовите поддержку",
                storage_failure(e)
            )
        }
        ShiftAlreadyOpen(n) => format!("Смена №{n} уже открыта"),
        FinishReceiptFirst => "Сначала закройте или отмените открытый чек".into(),
        CashierNameEmpty => "Введите имя кассира".into(),
        ShiftOpened(n) => format!("Смена №{n} открыта"),
        ShiftClosed(n) => format!("Смена №{n} закрыта, Z-отчёт напечатан"),
        CashMoved(CashDirection::In, sum) => format!("Внесено {sum}", sum = sum.on_screen()),
        CashMoved(CashDirection::Out, sum) => format!("Выплачено {sum}", sum = sum.on_screen()),
        NotEnoughCash { needed, drawer } => format!(
            "В кассе {drawer} наличных, нужно {needed}",
            drawer = drawer.on_screen(),
            needed = needed.on_screen()
        ),
        CardOverpay { remaining } => format!(
            "Картой нельзя оплатить больше остатка {remaining}",
            remaining = remaining.on_screen()
        ),
        ReceiptClosed { id, change } if change.is_zero() => format!("Чек {id} закрыт"),
        ReceiptClosed { id, change } => format!("Чек {id} закрыт. СДАЧА {change}", change = change.on_screen()),
        ReceiptCancelled => "Чек отменён".into(),
        NoPayments => "Оплат нет".into(),
        ReturnQueryNotUnderstood(s) => format!("«{s}» — введите смену/номер (3/15), номер чека или дату"),
        NothingFound => "Чеки не найдены".into(),
        NotASale(id) => format!("Чек {id} — не продажа, по нему нельзя вернуть"),
        NothingLeftToReturn(id) => format!("По чеку {id} всё уже возвращено"),
        ReturnMoreThanAvailable { available } => format!("Можно вернуть не больше {available}", available = available.on_screen()),
        NothingChosen => "Не выбрано ни одной позиции для возврата".into(),
        SaveFailed(e) => format!("НЕ СОХРАНЕНО: {}. Работа идёт, повтор при следующем действии", storage_failure(e)),
        CloseFailed(e) => format!("Чек НЕ закрыт: {}. Он сохранён открытым — Ввод для повтора", storage_failure(e)),
        ShiftCloseFailed(e) => format!("Смена НЕ закрыта: {}. Повторите закрытие", storage_failure(e)),
        PrintFailed(problem) => format!("Принтер: {}. Документ сохранён — {{key:reprint}}", device_problem(problem)),
        NotRegistered { receipt, in_flight: true } => format!("{} регистрируется в ККТ — подождите", receipt_name(*receipt)),
        NotRegistered { receipt, in_flight: false } => {
            format!(
                "{} не зарегистрирован в ККТ: всё дальше — после него ({{key:reprint}})",
                receipt_name(*receipt)
            )
        }
        Registered(receipt) => format!("{} зарегистрирован в ККТ", receipt_name(*receipt)),
        RegistrationRetried => "Чек отправлен в ККТ ещё раз".into(),
        DeviceDown(device, state) => format!("{}: {}", device_label(device), device_state(state)),
        DeviceBack(device) => format!("{}: снова работает", device_label(device)),
        DeviceTrouble(message) => message.clone(),
        LookupFailed(e) => format!("Журнал недоступен: {}", storage_failure(e)),
        StoreWarning(w) => format!("Внимание, сообщите в поддержку: {w}"),
        StartedOnReserve => RESERVE_RELEASED.into(),
        NothingToPrint => "Нечего печатать".into(),
        Resumed => "Восстановлен открытый чек".into(),
        RestartedAfterCrash => "Касса перезапущена после сбоя: данные на месте, отчёт для поддержки сохранён".into(),
        ResumedClosing => "Восстановлено закрытие оплаченного чека".into(),
        NoLoyalty => "Система лояльности не настроена".into(),
        BadClientId(s) => format!("«{s}» — не номер карты и не телефон"),
        ClientSet(masked) => format!("Клиент {masked}"),
        ClientRemoved => "Клиент удалён из чека".into(),
        RemoveBonusFirst => "Сначала отмените оплату бонусами".into(),
        BonusPaidLocksReceipt => "Чек оплачен бонусами: чтобы изменить его, отмените оплату бонусами".into(),
        LoyaltyRefused(text) => format!("Лояльность: {text}. Удалите клиента из чека"),
        OfflineAccrualOnly => "Нет связи: оплата бонусами недоступна, возможно только начисление".into(),
        WrongValidationCode => "Неверный код подтверждения".into(),
        BonusNotAvailable => "Оплата бонусами для этого чека недоступна".into(),
        BonusTooMuch { limit } => format!("Бонусами можно оплатить не больше {limit}", limit = limit.on_screen()),
        BonusPaid(sum) => format!("Оплачено бонусами {sum}", sum = sum.on_screen()),
        BonusCancelled(sum) => format!("Оплата бонусами {sum} отменена", sum = sum.on_screen()),
        PromoOverFloors(code) => format!("Код {code} не применён: цена товара станет ниже минимальной"),
        ReturnWithoutLoyalty(text) => format!("Возврат без бонусов: {text}"),
        WaitCannotStop => "Списание или отмену бонусов не прервать: ждём ответа сервера лояльности".into(),
        BonusCancelQueued(sum) => format!(
            "Бонусы {sum} сняты с чека; отмена уйдёт на сервер, когда он ответит",
            sum = sum.on_screen()
        ),
        NoBonusPaid => "Оплаты бонусами в чеке нет".into(),
        ConfirmQueued => "Нет связи с лояльностью: начисление сохранено и будет отправлено позже".into(),
        LostBonusCancelled(sum) => format!(
            "Незавершённая оплата бонусами {sum} отменена в системе лояльности",
            sum = sum.on_screen()
        ),
        LostBonusInDoubt(sum) => format!(
            "Нет связи: незавершённая оплата бонусами {sum} отменится при подытоге",
            sum = sum.on_screen()
        ),
        StorageStuck => STORAGE_STUCK.into(),
        QueuedSent => "Отложенный запрос в систему лояльности отправлен".into(),
        QueuedRefused(e) => format!("Лояльность не приняла отложенный чек: {e}. Слип напечатан"),
        NotHere(command) => format!("«{}» здесь недоступно", command_label(*command)),
        LoyaltyAnswer(error) => format!("Лояльность: {}", loyalty_error(error)),
        LoyaltyOffline => "Нет связи с программой лояльности: этот чек — без бонусов и скидок лояльности".into(),
        NotInProtocol(command) => format!("«{}» не поддерживается системой лояльности этого магазина", command_label(*command)),
        PromoNeedsClient => "Промокод вводится для клиента программы лояльности: сначала укажите клиента".into(),
        PromoSet(code) => format!("Промокод {code} применён к чеку"),
        PromoRemoved => "Промокод удалён из чека".into(),
        ClientRegistered => "Клиент зарегистрирован".into(),
        CodeSent => "Код отправлен покупателю в SMS".into(),
        NameNeeded => "Введите имя гостя".into(),
        ClientNeeded => "Сначала укажите клиента".into(),
        AnonymousNoBonus => ANONYMOUS_NOTE.into(),
        ChatBotSent => "Ссылка на чат-бот отправлена клиенту в SMS".into(),
        CertificateAccepted(sum) => format!("Сертификатом оплачено {sum}", sum = sum.on_screen()),
        CertificateEmpty => "Сертификатом платить нечего: он пуст или чек уже оплачен".into(),
        CertificateTwice(code) => format!("Сертификат {code} уже в этом чеке"),
        QueueEntriesSetAside(count) => {
            format!("Сообщите в поддержку: {count} записей очереди лояльности не читаются (отложены)")
        }
    }
}

/// «Чек 1/2», or just «Чек» when its number is not known.
fn receipt_name(receipt: Option<crate::core::journal::ReceiptId>) -> String {
    match receipt {
        Some(id) => format!("Чек {id}"),
        None => "Чек".into(),
    }
}

pub fn question(question: Question) -> &'static str {
    match question {
        Question::CancelReceipt => "Отменить весь чек?",
        Question::CloseShift => "Закрыть смену и напечатать Z-отчёт?",
        Question::Quit => "Выйти из программы? Открытый чек сохранится.",
        Question::RemoveClient => "Удалить клиента из чека? Скидки лояльности будут сняты.",
    }
}

// The demo store, when no config names one
pub const DEMO_STORE_NAME: &str = "Демо-магазин";
pub const DEMO_STORE_ADDRESS: &str = "г. Москва, ул. Примерная, д. 1";
pub const DEMO_ORGANISATION: &str = "ООО \"Касса-Демо\"";

pub const YES_NO: KeyedHint = &[(Command::Confirm, "да"), (Command::Cancel, "нет")];

// Status line
pub const STORE: &str = "Магазин";
pub const REGISTER: &str = "Касса";
pub const SHIFT: &str = "Смена";
pub const SHIFT_CLOSED: &str = "смена закрыта";
pub const SHIFT_EXPIRED: &str = ">24ч";

/// The status line near a shift's 24 hours (the registrar refuses receipts after).
pub fn shift_ends_in(minutes: i64) -> String {
    format!("Z через {minutes} мин")
}
/// The same, where the status line is short of room.
pub fn shift_ends_in_short(minutes: i64) -> String {
    format!("Z {minutes} мин")
}
pub const RECEIPT: &str = "Чек";
pub const CASHIER: &str = "Кассир";
pub const NOT_SAVED: &str = "НЕ СОХРАНЕНО";
pub const UNPRINTED: &str = "не напечатано";
pub const UNPRINTED_SHORT: &str = "не напеч.";

// Sale screen
pub const COL_NO: &str = "№";
pub const COL_NAME: &str = "Наименование";
pub const COL_QTY_PRICE: &str = "Кол-во × Цена";
pub const COL_DISCOUNT: &str = "Скидка";
pub const COL_TOTAL: &str = "Сумма";
pub const SUM: &str = "Сумма";
pub const DISCOUNT: &str = "Скидка";
pub const TO_PAY: &str = "К ОПЛАТЕ";
pub const TO_REFUND: &str = "К ВОЗВРАТУ";
pub const PAID: &str = "Оплачено";
pub const REMAINING: &str = "Осталось";
pub const CLIENT: &str = "Клиент";
pub const NO_CLIENT: &str = "—";
pub const INPUT: &str = "Ввод";
/// The status line while support watches the screen.
pub const WATCHED: &str = "Смотрит поддержка";
pub const WATCHED_SHORT: &str = "Поддержка";
pub const TERMINAL_TOO_SMALL: &str = "Окно терминала слишком мало";

/// The window's size and the size it needs.
pub fn terminal_size(width: u16, height: u16, needed: (u16, u16)) -> String {
    format!("сейчас {width}x{height}, нужно не меньше {}x{}", needed.0, needed.1)
}
pub const QUANTITY_PENDING: &str = "Кол-во";
pub const EMPTY_RECEIPT_HINT: &str = "Отсканируйте товар или введите штрихкод / код и нажмите Ввод";
pub const NO_SHIFT_HINT: &str = "Смена закрыта. Откройте смену, чтобы продавать.";
pub const RETURN_BANNER: &str = "ВОЗВРАТ по чеку";
pub const WAIT_CLOSING: &str = "Сохранение чека…";
pub const WAIT_SHIFT: &str = "Закрытие смены…";
pub const WAIT_JOURNAL: &str = "Поиск в журнале…";

// Dialogs
pub const OPEN_SHIFT_TITLE: &str = "Открытие смены";
pub const CASHIER_NAME: &str = "Кассир (Ф.И.О.)";
pub const CASH_IN_TITLE: &str = "Внесение наличных";
pub const CASH_OUT_TITLE: &str = "Выплата наличных";
pub const IN_DRAWER: &str = "В кассе";
pub const AMOUNT: &str = "Сумма";
pub const QUANTITY_TITLE: &str = "Количество";
pub const WEIGHT_TITLE: &str = "Вес, кг";
pub const DOUBT_TITLE: &str = "Проверьте количество";
pub const DOUBT_KEEP: &str = "1 — не брать";

fn unit(weighed: bool) -> &'static str {
    if weighed { "кг" } else { "шт" }
}

/// The likely meaning of a doubtful weight: grams typed as kilograms.
pub fn doubt_likely(quantity: crate::core::money::Quantity, weighed: bool) -> String {
    format!(
        "1 — {quantity} {} (введены граммы?)",
        unit(weighed),
        quantity = quantity.on_screen()
    )
}

pub fn doubt_as_typed(quantity: crate::core::money::Quantity, weighed: bool, sum: &str) -> String {
    format!(
        "2 — {quantity} {}, как введено (сумма {sum})",
        unit(weighed),
        quantity = quantity.on_screen()
    )
}

// Goods sold from 18
pub const AGE_TITLE: &str = "Товар продаётся с 18 лет";
pub const AGE_QUESTION: &str = "Покупателю есть 18 лет? Проверьте документ.";
pub const AGE_HINT: KeyedHint = &[
    (Command::Confirm, "да, возраст подтверждён"),
    (Command::Cancel, "нет, не продавать"),
];
pub const SEARCH_TITLE: &str = "Поиск товара по названию";
pub const SEARCH_PROMPT: &str = "Название";
pub const SEARCH_EMPTY: &str = "Ничего не найдено";
pub const SEARCH_HINT: &str = "Введите часть названия";
pub const DISCOUNT_TITLE: &str = "Скидка";
pub const DISCOUNT_ON_POSITION: &str = "на позицию";
pub const DISCOUNT_ON_RECEIPT: &str = "на весь чек";
pub const DISCOUNT_PROMPT: &str = "10% или сумма; 0 — убрать";
pub const PAYMENT_TITLE: &str = "Оплата";
pub const REFUND_TITLE: &str = "Возврат денег";
pub const CASH: &str = "Наличные";
pub const CARD: &str = "Карта";
pub const CERTIFICATE: &str = "Сертификат";

pub fn payment_kind(kind: crate::core::receipt::PaymentKind) -> &'static str {
    use crate::core::receipt::PaymentKind::*;
    match kind {
        Cash => CASH,
        Card => CARD,
        Certificate => CERTIFICATE,
    }
}

/// A payment's line on the receipt.
pub fn printed_payment_kind(kind: crate::core::receipt::PaymentKind) -> &'static str {
    use crate::core::receipt::PaymentKind::*;
    match kind {
        Cash => P_CASH,
        Card => P_CARD,
        Certificate => P_CERTIFICATE,
    }
}
pub const CHANGE: &str = "СДАЧА";
pub const PAYMENT_PROMPT: &str = "Сумма (пусто — весь остаток)";
pub const REFUND_CONFIRM: KeyedHint = &[(Command::Confirm, "выдать деньги и закрыть возврат")];
pub const CONFIRM_TITLE: &str = "Подтверждение";
pub const RETURN_FIND_TITLE: &str = "Возврат: поиск чека";
pub const RETURN_FIND_PROMPT: &str = "Смена/номер, номер, дата или скан чека";
pub const RETURN_PICK_TITLE: &str = "Возврат по чеку";
pub const RETURN_PICK_HINT: KeyedHint = &[(Command::Confirm, "всё/ничего или введённое кол-во"), (Command::Pay, "оформить")];
pub const COL_SOLD: &str = "Продано";
pub const COL_RETURNED: &str = "Возвр.";
pub const COL_TO_RETURN: &str = "Вернуть";
pub const MENU_TITLE: &str = "Меню";
pub const HELP_TITLE: &str = "Клавиши";
pub const PREVIEW_TITLE: &str = "Печать";
pub const PREVIEW_HINT: KeyedHint = &[(Command::Cancel, "закрыть"), (Command::Down, "листать")];

// A closed receipt the fiscal registrar has not registered yet
pub const REGISTRATION_TITLE: &str = "Чек не зарегистрирован в ККТ";
pub const REGISTRATION_IN_FLIGHT: &str = "ККТ регистрирует чек… подождите";
pub const REGISTRATION_HOLD: &str =
    "Пока чек не зарегистрирован, не отдавайте его покупателю; новый чек, возврат и закрытие смены — после регистрации.";

/// The receipt that waits: its number and sum.
pub fn registration_headline(receipt: Option<crate::core::journal::ReceiptId>, total: Option<crate::core::money::Money>) -> String {
    match total {
        Some(total) => format!(
            "{} на {total} ещё не зарегистрирован в ККТ",
            receipt_name(receipt),
            total = total.on_screen()
        ),
        None => format!("{} ещё не зарегистрирован в ККТ", receipt_name(receipt)),
    }
}

pub fn registration_reason(reason: &str) -> String {
    format!("Причина: {reason}")
}

/// «Ctrl+P (Повтор печати)», or the label alone when no key is bound to it.
fn command_with_key(command: Command, key: Option<&str>) -> String {
    match key {
        Some(key) => format!("{key} ({})", command_label(command)),
        None => format!("«{}» в меню", command_label(command)),
    }
}

/// What to do about a registrar that cannot print, with the live key for a retry.
pub fn registration_todo(reprint_key: Option<&str>) -> String {
    format!(
        "Вставьте рулон бумаги, закройте крышку, проверьте кабель и питание ККТ, затем нажмите {}. ККТ, которая снова готова, зарегистрирует чек и сама.",
        command_with_key(Command::Reprint, reprint_key)
    )
}

/// What to do about a registrar whose shift is past 24 hours.
pub fn registration_todo_z(close_shift_key: Option<&str>) -> String {
    format!(
        "Закройте смену — {}: Z-отчёт пройдёт первым, затем чек зарегистрируется в новой смене ККТ.",
        command_with_key(Command::CloseShift, close_shift_key)
    )
}

pub fn registration_more(count: usize) -> String {
    format!("Ещё ждут регистрации: {count}")
}

// Printed documents
pub const P_SALE: &str = "КАССОВЫЙ ЧЕК / ПРИХОД";
pub const P_RETURN: &str = "КАССОВЫЙ ЧЕК / ВОЗВРАТ ПРИХОДА";
pub const P_COPY: &str = "КОПИЯ";
/// Heads a document printed again after a crash may have cut it off.
pub const P_REPEAT: &str = "ПОВТОР ПОСЛЕ СБОЯ";
pub const P_RECEIPT_NO: &str = "Чек №";
pub const P_SHIFT_NO: &str = "Смена №";
pub const P_CASHIER: &str = "Кассир";
pub const P_DISCOUNT: &str = "  скидка";
pub const P_SUM: &str = "Сумма";
pub const P_DISCOUNTS: &str = "Скидки";
pub const P_TOTAL: &str = "ИТОГ";
pub const P_CASH: &str = "НАЛИЧНЫМИ";
pub const P_CARD: &str = "БЕЗНАЛИЧНЫМИ";
pub const P_CERTIFICATE: &str = "СЕРТИФИКАТОМ";
pub const P_TENDERED: &str = "ПОЛУЧЕНО";
pub const P_CHANGE: &str = "СДАЧА";
pub const P_ORIGINAL: &str = "По чеку";
pub const P_REGISTER: &str = "Касса";
pub const P_THANKS: &str = "СПАСИБО ЗА ПОКУПКУ!";
pub const P_AGE_CONFIRMED: &str = "Возраст 18+ подтверждён";
pub const P_SHIFT_OPENED: &str = "ОТКРЫТИЕ СМЕНЫ";
pub const P_CASH_IN: &str = "ВНЕСЕНИЕ";
pub const P_CASH_OUT: &str = "ВЫПЛАТА";
pub const P_OPENED: &str = "Открыта";
pub const P_AT: &str = "Время";
pub const P_RECEIPTS: &str = "Чеков";
pub const P_SALES: &str = "ПРОДАЖИ";
pub const P_RETURNS: &str = "ВОЗВРАТЫ";
pub const P_COUNT: &str = "  количество";
pub const P_BY_CASH: &str = "  наличными";
pub const P_BY_CARD: &str = "  картой";
pub const P_BY_CERTIFICATE: &str = "  сертификатом";
pub const P_TOTAL_LOWER: &str = "  итого";
pub const P_CANCELLED: &str = "Отменено чеков";
pub const P_OPENING_CASH: &str = "Наличные на начало";
pub const P_DRAWER: &str = "НАЛИЧНЫЕ В КАССЕ";
pub const P_INN: &str = "ИНН";
pub const P_TAX_SYSTEM: &str = "СНО";
pub const P_SETTLEMENT_ADDRESS: &str = "Адрес расчётов:";
pub const P_SETTLEMENT_PLACE: &str = "Место расчётов:";

/// The tax system as receipts print it.
pub fn printed_tax_system(system: crate::core::requisites::TaxSystem) -> &'static str {
    use crate::core::requisites::TaxSystem::*;
    match system {
        Osn => "ОСН",
        UsnIncome => "УСН доход",
        UsnIncomeExpense => "УСН доход-расход",
        Esn => "ЕСХН",
        Patent => "ПСН",
    }
}

/// A receipt's line for one VAT rate: the VAT inside its sum, or the sum
/// sold without VAT.
pub fn printed_vat(vat: crate::core::catalog::Vat) -> String {
    match vat {
        crate::core::catalog::Vat::NoVat => "без НДС".into(),
        crate::core::catalog::Vat::Vat0 => "НДС 0%".into(),
        rate => format!("в т.ч. НДС {}%", rate.key()),
    }
}

pub fn summary_title(kind: SummaryKind) -> &'static str {
    match kind {
        SummaryKind::X => "X-ОТЧЁТ (без гашения)",
        SummaryKind::Z => "Z-ОТЧЁТ (закрытие смены)",
    }
}

pub fn cash_direction_title(direction: CashDirection) -> &'static str {
    match direction {
        CashDirection::In => CASH_IN_TITLE,
        CashDirection::Out => CASH_OUT_TITLE,
    }
}

// Loyalty
pub const LOYALTY_REMOVE_CLIENT: &str = "Дальнейшая работа с системой лояльности невозможна: удалите клиента из чека ({key:client}).";
pub const BONUS_NOT_CANCELLED: &str = "Оплата бонусами НЕ отменена.";
pub const CONFIRM_REFUSED: &str = "Система лояльности не приняла чек. Начисление нужно выполнить на стороне лояльности вручную.";
pub const CLIENT_TITLE: &str = "Клиент программы лояльности";
pub const CLIENT_PROMPT: &str = "Карта или телефон (можно отсканировать карту или QR)";
pub const BALANCE_TITLE: &str = "Баланс клиента";
pub const VALIDATION_TITLE: &str = "Код подтверждения";
pub const VALIDATION_PROMPT: &str = "Спросите у покупателя код из SMS";
pub const CODE: &str = "Код";
pub const MESSAGE_TITLE: &str = "Система лояльности";
pub const MESSAGE_HINT: KeyedHint = &[(Command::Confirm, "продолжить")];
pub const BONUS_TITLE: &str = "Оплата бонусами";
pub const BONUS_AVAILABLE: &str = "Доступно к оплате";
pub const BONUS_BALANCE: &str = "Баланс";
pub const BONUS_HINT: KeyedHint = &[
    (Command::NextField, "всё доступное"),
    (Command::Confirm, "оплатить"),
    (Command::Cancel, "без бонусов"),
];
pub const LINK_LOST_TITLE: &str = "Нет связи с системой лояльности";
pub const LINK_LOST_TEXT: &str = "Сервер лояльности не отвечает.";
pub const LINK_LOST_HINT: KeyedHint = &[
    (Command::Confirm, "повторить"),
    (Command::Cancel, "продолжить без оплаты бонусами (только начисление)"),
];
pub const CONTACT_TITLE: &str = "Электронный чек";
pub const CONTACT_NONE: &str = "Без электронного чека";
pub const CONTACT_PROMPT: &str = "Другой телефон или e-mail";
pub const WAIT_LOYALTY: &str = "Запрос в систему лояльности…";
pub const WAIT_MARK: &str = "ККТ проверяет код маркировки…";
pub const PRICE_CHECK_TITLE: &str = "Проверка цены";
pub const PRICE_CHECK_PROMPT: &str = "Отсканируйте товар или введите код — чек не меняется";
pub const PRICE_CHECK_HINT: KeyedHint = &[(Command::Confirm, "показать"), (Command::Cancel, "закрыть")];

/// What the price check shows of an item, line by line.
pub fn price_check_lines(item: &crate::core::catalog::Item) -> Vec<String> {
    use crate::core::catalog::{AgeLimit, Vat};
    let mut lines = vec![
        format!("Цена: {}", item.price.on_screen()),
        format!("Минимальная цена: {}", item.min_price.on_screen()),
        if item.weighed {
            "Весовой товар (цена за кг)".into()
        } else {
            "Штучный товар".into()
        },
    ];
    lines.push(match item.mark {
        Some(group) => format!("Маркированный товар ({}): продаётся по коду маркировки", group.key()),
        None => "Без маркировки".into(),
    });
    match item.age {
        AgeLimit::None => {}
        AgeLimit::Adult => lines.push("Продаётся с 18 лет".into()),
        AgeLimit::Alcohol => lines.push("Алкоголь: с 18 лет и в разрешённые часы".into()),
    }
    lines.push(match item.vat {
        Vat::NoVat => "Без НДС".into(),
        rate => format!("НДС {}%", rate.key()),
    });
    lines.push(format!("Код товара: {}", item.code));
    lines
}

/// Before a marked position's name in the receipt on screen.
pub const MARKED_ON_SCREEN: &str = "[М] ";
pub const MARK_CHECK_TITLE: &str = "Проверка кода маркировки";
pub const MARK_CHECK_HINT: KeyedHint = &[(Command::Confirm, "принять товар"), (Command::Cancel, "не принимать")];

/// A line of a message window as the cashier reads it.
pub fn said(said: &crate::core::notice::Said) -> crate::core::loyalty::TextBlock {
    use crate::core::loyalty::TextBlock;
    use crate::core::notice::Said;
    let words = match said {
        Said::Server(block) => return block.clone(),
        Said::LoyaltyError(error) => loyalty_error(error),
        Said::Notice(n) => notice_text(n),
        Said::BonusNotCancelled => BONUS_NOT_CANCELLED.into(),
        Said::RemoveClient => LOYALTY_REMOVE_CLIENT.into(),
        Said::LinkDown => LINK_DOWN_MESSAGE.into(),
        Said::ConfirmRefused => CONFIRM_REFUSED.into(),
        Said::WriteOffline => WRITE_OFFLINE.into(),
        Said::WriteFailedNext => WRITE_FAILED_NEXT.into(),
        Said::BadDistribution(amount) => bad_distribution_message(*amount),
        Said::CertificateUnusable { code, status } => certificate_unusable(code, status.as_deref()),
        Said::UnreadableAnswer => UNREADABLE_ANSWER.into(),
    };
    TextBlock::plain(words)
}

/// The notices of marked and age-restricted goods.
fn goods_notice(notice: &Notice) -> String {
    use Notice::*;
    match notice {
        AgeNotConfirmed(name) => format!("Товар «{name}» не добавлен: возраст покупателя не подтверждён"),
        AgeConfirmed => "Возраст покупателя подтверждён".into(),
        AlcoholHours { name, hours } => format!("Алкоголь продаётся с {} до {}: товар «{name}» не добавлен", hours.from, hours.until),
        MarkCodeBad { code, error } => format!("Код маркировки {code} не принят: {}", mark_code_error(error)),
        MarkUnknownGtin(gtin) => format!("Товар с GTIN {gtin} (из кода маркировки) не найден в каталоге"),
        MarkCodeNeeded(name) => format!("«{name}» — маркированный товар: отсканируйте код маркировки (DataMatrix) с упаковки"),
        MarkNeedsRegistrar(name) => {
            format!("«{name}» — маркированный товар: его продают только через ККТ, которая проверяет коды, а здесь принтер без ККТ")
        }
        MarkTwice(code) => format!("Эта единица уже в чеке (код {code})"),
        MarkOneCodeEach(name) => format!("«{name}»: у каждой единицы свой код маркировки — сканируйте коды по одному"),
        MarkScanMore { name, more } => format!("«{name}»: отсканируйте коды маркировки ещё {more} шт."),
        MarkTaken { name, verdict } => match verdict {
            Verdict::Good => format!("Код проверен: «{name}» добавлен"),
            Verdict::Refused => format!("«{name}» добавлен по решению кассира, хотя проверка кода отрицательная"),
            Verdict::Unknown => format!("«{name}» добавлен без ответа Честного ЗНАКА"),
        },
        MarkRefused { name, reason } => format!("«{name}» не принят: {}", mark_reason(reason)),
        MarkDecisionLost(failure) => format!(
            "ККТ не приняла решение по коду ({}): код проверят ещё раз при регистрации чека",
            mark_failure(failure)
        ),
        MarkNotInSale(code) => format!("Кода {code} нет в этом чеке продажи: возвращают только проданные единицы"),
        _ => String::new(),
    }
}

/// A marked position whose units and codes differ: not sent to the registrar.
pub fn marked_units_without_codes(name: &str) -> String {
    format!("«{name}»: у маркированной позиции не у каждой единицы есть код — чек не отправлен в ККТ, позовите поддержку")
}

/// What is wrong with a scanned marking code.
fn mark_code_error(error: &MarkCodeError) -> String {
    match error {
        MarkCodeError::TooLong(n) => format!("в нём {n} знаков — это не код маркировки"),
        MarkCodeError::BadCharacter(c) => format!("знак «{c}» в коде — проверьте раскладку и настройку сканера"),
        MarkCodeError::BadGtin(gtin) => format!("GTIN {gtin} с неверной контрольной цифрой — отсканируйте ещё раз"),
        MarkCodeError::NoSerial => "в нём нет серийного номера (21)".into(),
        MarkCodeError::NoCryptoTail => {
            "код неполный, нет криптохвоста (93 или 91/92): сканер обрезал код или не передаёт разделитель GS".into()
        }
        MarkCodeError::UnknownIdentifier(ai) => {
            format!("непонятное поле «{ai}…» — сканер не передаёт разделитель GS или прочитал другой код")
        }
        MarkCodeError::CutShort(ai) => format!("поле {ai} обрезано — отсканируйте ещё раз"),
    }
}

fn mark_failure(failure: &MarkFailure) -> String {
    match failure {
        MarkFailure::AlreadySold { receipt } => format!("эта единица уже продана (чек {receipt}) и не возвращена"),
        MarkFailure::NotSold => "эта единица здесь не продавалась или уже возвращена".into(),
        MarkFailure::NoRegistrar => "принтер — не ККТ, проверить код некому".into(),
        MarkFailure::Registrar(problem) => format!("ККТ не проверила код: {}", device_problem(problem)),
        MarkFailure::Journal(e) => format!("журнал продаж не прочитан ({})", storage_failure(e)),
    }
}

fn mark_reason(reason: &MarkReason) -> String {
    match reason {
        MarkReason::Check(check) => mark_check(check, false),
        MarkReason::Failure(failure) => mark_failure(failure),
        MarkReason::Cashier => "кассир отказал после проверки".into(),
    }
}

/// What the registrar's check of a code says, in a sentence.
pub fn mark_check(check: &MarkCheck, returning: bool) -> String {
    mark_check_lines(check, returning).join("; ")
}

/// The fiscal storage's own check, then the marking system's answer.
pub fn mark_check_lines(check: &MarkCheck, returning: bool) -> [String; 2] {
    let local = match check.local {
        LocalCheck::Passed => "ФН: подпись кода верна",
        LocalCheck::Failed => "ФН: подпись кода неверна — код поддельный или прочитан с ошибкой",
        LocalCheck::NotDone(1) => "ФН не проверяет коды этого вида",
        LocalCheck::NotDone(2) => "в ФН нет ключа проверки для этого кода",
        LocalCheck::NotDone(3) => "ФН не смог проверить код: нет полей 91/92",
        LocalCheck::NotDone(_) => "ФН не проверил код",
    };
    let online = match check.online {
        OnlineCheck::Answered {
            code_valid: true,
            status_valid: true,
        } => "Честный ЗНАК: товар в обороте".to_string(),
        OnlineCheck::Answered { code_valid: false, .. } => "Честный ЗНАК: код не прошёл проверку".to_string(),
        OnlineCheck::Answered { .. } if returning => "Честный ЗНАК: эту единицу нельзя вернуть".to_string(),
        OnlineCheck::Answered { .. } => {
            "Честный ЗНАК: продавать нельзя (уже продан, выведен из оборота или истёк срок годности)".to_string()
        }
        OnlineCheck::Unanswered => "Честный ЗНАК не ответил вовремя".to_string(),
        OnlineCheck::Offline => "ККТ работает без связи с Честным ЗНАКОМ".to_string(),
        OnlineCheck::Unreadable(reason) => format!("ответ Честного ЗНАКА не принят ФН (причина {reason})"),
    };
    [local.to_string(), online]
}
/// The loyalty wait's way out, with the live key of the `cancel` command.
pub fn wait_loyalty_escape(key: &str) -> String {
    format!("{WAIT_LOYALTY} {key} — продолжить без лояльности")
}
pub const LOYALTY_OFFLINE: &str = "только начисление";
pub const LOYALTY_BLOCKED: &str = "лояльность отключена";
pub const BONUS_PAID: &str = "Бонусами";
pub const P_CONTACT: &str = "Эл. чек";
pub const P_BONUS: &str = "в т.ч. скидка бонусами";
pub const P_CLIENT: &str = "Карта клиента";

pub fn bad_distribution_message(amount: crate::core::money::Money) -> String {
    format!(
        "Оплата бонусами {amount} НЕ применена: распределение нарушает минимальные цены. \
         Списание отменяется в системе лояльности через очередь. Оплата бонусами этого чека заблокирована.",
        amount = amount.on_screen()
    )
}

pub fn bad_distribution_slip(amount: crate::core::money::Money) -> Vec<String> {
    vec![
        "ВНИМАНИЕ!".into(),
        format!("Списание {amount} бонусов не применено к чеку", amount = amount.on_screen()),
        "Списание будет отменено в системе лояльности".into(),
    ]
}

pub fn offline_accrual_slip() -> Vec<String> {
    vec![
        "Нет связи с системой лояльности".into(),
        "Бонусы будут начислены позже".into(),
        "(оффлайн-начисление)".into(),
    ]
}

pub fn refused_confirm_slip(error: &str) -> Vec<String> {
    vec![
        "Ошибка начисления бонусов".into(),
        error.to_string(),
        "Начисление будет выполнено вручную".into(),
    ]
}
pub const QUEUE_TITLE: &str = "Очередь лояльности";
pub const REJECTED_TITLE: &str = "Отклонённые запросы";
pub const QUEUE_EMPTY: &str = "Очередь пуста";
pub const QUEUE_HINT: KeyedHint = &[
    (Command::Confirm, "подробно"),
    (Command::NextField, "очередь/отклонённые"),
    (Command::SendNow, "отправить сейчас"),
];
/// The word for `n` of something in Russian: one (1, 21), few (2–4, 22–24), many.
pub fn plural(n: u64, [one, few, many]: [&'static str; 3]) -> &'static str {
    match (n % 10, n % 100) {
        (1, 11) | (2..=4, 12..=14) => many,
        (1, _) => one,
        (2..=4, _) => few,
        _ => many,
    }
}

/// «1 попытка», «3 попытки», «5 попыток».
pub fn attempts(n: u32) -> String {
    format!("{n} {}", plural(u64::from(n), ["попытка", "попытки", "попыток"]))
}
pub const QUEUE_NEXT: &str = "следующая";
pub const QUEUE_STATUS: &str = "Очередь";
pub const REJECTED_STATUS: &str = "Отклонено";
pub const QUEUE_STATUS_SHORT: &str = "Оч.";
pub const REJECTED_STATUS_SHORT: &str = "Откл.";

/// A store error as the cashier reads it (support reads the English one in the log).
pub fn storage_failure(failure: &StorageFailure) -> String {
    match failure {
        StorageFailure::DiskFull { free_kib } => {
            format!("диск переполнен (свободно {free_kib} КиБ), ничего не записано — освободите место")
        }
        StorageFailure::InUse => "база занята другой программой kassa".into(),
        StorageFailure::WorkerStopped => "запись на диск остановлена: касса завершает работу".into(),
        StorageFailure::DuplicateReceipt(id) => format!("чек {id} уже есть в журнале с другим содержимым"),
        StorageFailure::OverReturn { sale } => format!("возврат больше проданного по чеку {sale}"),
        StorageFailure::UnknownSale(id) => format!("чека продажи {id} нет в журнале"),
        StorageFailure::Unreadable { key } => format!("запись журнала {key} не читается"),
        // The library's own words (English) are for support: io.rs logs them.
        StorageFailure::Disk(_) => "ошибка записи на диск — подробности в kassa logs".into(),
    }
}

/// Started on a disk full to the last byte: the reserve was given back
/// (the log names the data directory). Short: it fits the notice line.
pub const RESERVE_RELEASED: &str = "Диск полон, касса запущена на резерве: освободите место на диске";

pub const STORAGE_STUCK: &str = "Диск не отвечает (данные чека целы): проверьте место, перезапустите кассу";

// ---- KilBil --------------------------------------------------------------------

pub const LINK_DOWN_MESSAGE: &str = "Нет связи с программой лояльности. Продажа продолжается без бонусов; лампа в левом верхнем углу загорится зелёным, когда связь вернётся.";
pub const PROMO_TITLE: &str = "Промокод";
pub const PROMO_PROMPT: &str = "Один промокод на чек; пусто — убрать";
pub const REGISTER_TITLE: &str = "Новый клиент";
pub const REGISTER_PROMPT: &str = "Телефон покупателя (на него придёт SMS с кодом)";
pub const REGISTER_PHONE_PROMPT: &str = "Телефон нового гостя";
pub const REGISTER_NAME_PROMPT: &str = "Фамилия Имя Отчество (хотя бы имя)";
pub const GUEST_NAME: &str = "ФИО";
pub const PHONE: &str = "Телефон";
pub const SPEND_CODE_TITLE: &str = "Подтверждение списания";
pub const LOYALTY_NO_LINK: &str = "нет связи — без бонусов";
pub const KILBIL_NOT_FOUND: &str = "Клиент не найден в программе лояльности";
pub const PHONE_TAKEN: &str = "Клиент с этим телефоном уже зарегистрирован";
pub const KILBIL_NO_PHONE: &str = "У клиента нет телефона для SMS-кода";
pub const KILBIL_NOT_A_SALE: &str = "Чек продажи не найден в программе лояльности";
pub const UNREADABLE_ANSWER: &str = "непонятный ответ сервера лояльности";

pub const PROBONUS_PHONE_ONLY: &str = "ProBonus ищет гостя только по телефону";
pub const PROBONUS_NOT_FOUND: &str = "Гость с этим телефоном не найден в ProBonus";
pub const PROBONUS_NO_GROUP: &str = "Регистрация не настроена: в конфигурации нет [loyalty] account_group";
pub const PROBONUS_HISTORY: &str = "Последние операции:";
pub const PROBONUS_NO_HISTORY: &str = "операций нет";

pub fn probonus_status(status: u16) -> String {
    format!("ProBonus отказал (HTTP {status})")
}

pub fn probonus_level(name: &str) -> String {
    format!("Уровень: {name}")
}

pub fn probonus_coupon(name: &str) -> String {
    format!("Купон: {name}")
}

pub fn probonus_too_much(available: crate::core::money::Money) -> String {
    format!("Бонусами можно оплатить не больше {available}", available = available.on_screen())
}

pub fn probonus_transaction(at: chrono::NaiveDateTime, amount: crate::core::money::Money, what: Option<&str>) -> String {
    let sign = if amount.is_negative() { "−" } else { "+" };
    let amount = crate::core::money::Money(amount.0.abs());
    format!(
        "{}  {sign}{amount}  {}",
        at.format("%d.%m.%Y %H:%M"),
        what.unwrap_or(""),
        amount = amount.on_screen()
    )
    .trim_end()
    .to_string()
}

/// Bonuses that burn on a day, for the client panel and the balance enquiry.
pub fn burning(burning: &crate::loyalty::Burning) -> String {
    format!("сгорит {} — {}", burning.amount.on_screen(), burning.on.format("%d.%m.%Y"))
}

pub fn kilbil_not_in_sale(code: &str) -> String {
    format!("Товара {code} нет в чеке продажи (или возвращается больше, чем продано)")
}

pub fn kilbil_result_code(code: i64) -> String {
    format!("Сервер лояльности отказал (код {code})")
}

pub fn client_balance(balance: crate::core::money::Money) -> String {
    format!("Баланс: {balance} бонусов", balance = balance.on_screen())
}

/// A print job held back because the state that holds it is not on disk.
pub fn not_printed_unsaved(reason: &StorageFailure) -> String {
    format!("не напечатано: состояние кассы не сохранено ({})", storage_failure(reason))
}

/// The loyalty server's TLS certificate failed the check: nothing was sent.
pub const LOYALTY_CERTIFICATE: &str = "сертификат сервера лояльности не доверенный — связи нет; проверьте сертификат сервера \
     (срок, имя, кем выдан) или добавьте его центр сертификации в доверенные системы";

/// A loyalty failure as the cashier reads it: the server's own text for a
/// refusal (support reads the transport detail in the log).
pub fn loyalty_error(error: &crate::loyalty::LoyaltyError) -> String {
    use crate::loyalty::LoyaltyError::*;
    match error {
        Link(_) => "нет связи с сервером лояльности".into(),
        Certificate(_) => LOYALTY_CERTIFICATE.into(),
        Unreadable(_) => UNREADABLE_ANSWER.into(),
        Refused { text } | NothingToUndo { text } => text.clone(),
        Unsupported(_) => "операция не поддерживается системой лояльности этого магазина".into(),
        NotSent(reason) => format!("запрос не отправлен: состояние кассы не сохранено ({reason})"),
        LinkDown => "нет связи с сервером лояльности — запрос не отправлялся".into(),
        Abandoned => "ожидание сервера лояльности прервано — без лояльности".into(),
    }
}

pub const ANONYMOUS_CLIENT: &str = "анонимный покупатель";
pub const ANONYMOUS_NOTE: &str = "Анонимный покупатель: бонусы не начисляются и не списываются";
pub const WRONG_SPEND_CODE: &str = "Неверный пин-код";
pub const MAXBONUS_TOKEN_REFUSED: &str = "MaxBonus не принял токен кассы (HTTP 401): обратитесь в поддержку";
pub const MAXBONUS_NOT_FOUND: &str = "Покупатель не найден в MaxBonus — можно зарегистрировать";
pub const MAXBONUS_PIN_NEEDED: &str = "Списание бонусов — только с пин-кодом из SMS";
pub const MAXBONUS_NO_CHAT_BOT: &str = "Чат-бот не подключён: можно отправить ссылку в SMS";
pub const MAXBONUS_NO_PHONE: &str = "У покупателя нет телефона для SMS";
/// MaxBonus spread the write-off below a minimum price: the receipt could not show what it books.
pub fn maxbonus_split_over_floors(asked: crate::core::money::Money, fits: crate::core::money::Money) -> String {
    format!(
        "MaxBonus списывает {asked} так, что цена товара станет ниже минимальной: можно списать не больше {fits}",
        asked = asked.on_screen(),
        fits = fits.on_screen()
    )
}

pub const MAXBONUS_CHANGED: &str = "Расчёт MaxBonus изменился: скидки и бонусы сняты, нажмите подытог ещё раз";

/// A MaxBonus refusal: its number and text, as the spec asks.
pub fn maxbonus_error(code: i64, message: Option<&str>) -> String {
    match message {
        Some(message) => format!("MaxBonus, ошибка {code}: {message}"),
        None => format!("MaxBonus, ошибка {code}"),
    }
}

pub fn maxbonus_bonus_cut(asked: crate::core::money::Money, granted: crate::core::money::Money) -> String {
    format!(
        "MaxBonus разрешил списать {granted} из {asked}",
        granted = granted.on_screen(),
        asked = asked.on_screen()
    )
}

pub fn maxbonus_certificate_cut(asked: crate::core::money::Money, granted: crate::core::money::Money) -> String {
    format!(
        "MaxBonus принял по сертификатам {granted} из {asked}",
        granted = granted.on_screen(),
        asked = asked.on_screen()
    )
}

pub fn maxbonus_spent(amount: crate::core::money::Money) -> String {
    format!("Списано бонусов: {amount}")
}

pub fn maxbonus_accrued(amount: crate::core::money::Money) -> String {
    format!("Начислено бонусов: {amount}")
}
pub const WRITE_OFFLINE: &str = "Нет связи с MaxBonus: чек пройдёт без бонусов и скидок лояльности, начисление — позже";
pub const WRITE_FAILED_NEXT: &str = "{key:confirm} — закрыть чек (или доплатить, если сумма выросла)";
pub const CERTIFICATE_TITLE: &str = "Подарочный сертификат";
pub const CERTIFICATE_PROMPT: &str = "Отсканируйте или введите номер сертификата";
pub const CERTIFICATE_PIN_PROMPT: &str = "Пин-код сертификата";

pub fn certificate_unusable(code: &str, status: Option<&str>) -> String {
    match status {
        Some(status) => format!("Сертификатом {code} платить нельзя: {status}"),
        None => format!("Сертификатом {code} платить нельзя"),
    }
}

pub fn certificate_balance(code: &str, balance: crate::core::money::Money) -> String {
    format!("Сертификат {code}: на нём {balance}", balance = balance.on_screen())
}
pub const RESEND_CODE_HINT: KeyedHint = &[(Command::NextField, "отправить код ещё раз")];
pub const ANONYMOUS_SHORT: &str = "(без начисления и списания)";

// Devices: the status line, the cashier's messages.
pub const DEVICE_PRINTER: &str = "Принтер";
pub const DEVICE_SCANNER: &str = "Сканер";
pub const DEVICE_CARD_READER: &str = "Считыватель";
pub const DEVICE_NO_PAPER: &str = "нет бумаги — вставьте рулон";
pub const DEVICE_COVER_OPEN: &str = "открыта крышка";
pub const DEVICE_PRINTER_ERROR: &str = "ошибка принтера";
pub const DEVICE_NOT_ANSWERING: &str = "не отвечает — проверьте кабель и питание";
pub const DEVICE_OFFLINE_SHORT: &str = "нет связи";
pub const REGISTRAR_SHIFT_EXPIRED: &str = "смена ККТ длится больше 24 часов — закройте смену (Z-отчёт)";

/// A registrar's error code with the spec's name for it, and what to do where it helps.
pub fn registrar_error(code: u8, described: &str) -> String {
    let advice = match code {
        0x6B => " — вставьте рулон и повторите печать",
        0x16 | 0x4E => " — закройте смену (Z-отчёт)",
        0x46 => " — в кассе меньше наличных",
        0x4F => " — проверьте пароль ККТ в настройках",
        0x58 => " — печать продолжится сама",
        _ => "",
    };
    format!("ККТ, ошибка {code:02X}h: {described}{advice}")
}

pub fn registrar_bad_answer(command: &str) -> String {
    format!("ККТ прислала непонятный ответ на команду {command}")
}

pub fn registrar_waits_for(job: u64) -> String {
    format!("ККТ ждёт, пока допечатается документ №{job} — {{key:reprint}}")
}

pub fn fiscal_mark_failed(error: &str) -> String {
    format!("не удалось записать отметку о фискальном документе на диск ({error}) — печать остановлена")
}

/// Bytes from a scanner or card reader that were not a code.
pub fn device_junk(device: &str, what: &crate::devices::framing::Junk) -> String {
    use crate::devices::framing::Junk;
    let reason = match what {
        Junk::Partial(bytes) => format!("код оборвался ({} байт) — отсканируйте ещё раз", bytes.len()),
        Junk::NoPrefix(_) => "код без настроенного префикса — проверьте настройку сканера".to_string(),
        Junk::TooLong(n) => format!("слишком длинная посылка ({n} байт) — помехи на линии?"),
        Junk::NotText(bytes) => format!("непонятные байты {:02X?} — проверьте скорость порта", &bytes[..bytes.len().min(8)]),
    };
    format!("{device}: {reason}")
}

pub fn swipe_failed(error: &crate::devices::magstripe::SwipeError) -> String {
    format!("{DEVICE_CARD_READER}: {error} — проведите карту ещё раз")
}

/// A device's name for the cashier, from its name in events (`printer`,
/// `scanner`, `scanner-2`, `card-reader`: see `config::devices::readers`).
pub fn device_label(device: &str) -> &'static str {
    match device {
        "printer" => DEVICE_PRINTER,
        d if d.starts_with("card") => DEVICE_CARD_READER,
        _ => DEVICE_SCANNER,
    }
}

/// Why a port failed, as the cashier reads it (the log keeps the system's words).
pub fn port_failure(failure: PortFailure) -> String {
    match failure {
        PortFailure::NotFound => "порт не найден — проверьте кабель".into(),
        PortFailure::NoAccess => "нет доступа к порту".into(),
        PortFailure::Unplugged => "отключён — проверьте кабель".into(),
        PortFailure::Other => "ошибка порта".into(),
    }
}

/// A port that could not be opened.
pub fn port_open_failed(path: &str, failure: PortFailure) -> String {
    format!("порт {path}: {}", port_failure(failure))
}

/// A fiscal registrar's link failures.
pub const LINK_SILENT: &str = "ККТ не отвечает";
pub const LINK_GARBLED: &str = "помехи на линии связи с ККТ";
pub const LINK_TOO_LONG: &str = "сообщение длиннее 255 байт";

pub const LINK_PORT_CLOSED: &str = "порт закрыт";

pub fn link_port(error: &str) -> String {
    format!("порт ККТ: {error}")
}

/// Why a device did not do what it was asked, as the cashier reads it
/// (the registrar's waiting names the reprint key as `{key:reprint}`).
pub fn device_problem(problem: &DeviceProblem) -> String {
    use DeviceProblem::*;
    match problem {
        NoPaper => DEVICE_NO_PAPER.into(),
        CoverOpen => DEVICE_COVER_OPEN.into(),
        PrinterError => DEVICE_PRINTER_ERROR.into(),
        NotAnswering => DEVICE_NOT_ANSWERING.into(),
        Port { path, failure } => port_open_failed(path, *failure),
        PortLost(failure) => port_failure(*failure),
        Disconnected => DEVICE_OFFLINE_SHORT.into(),
        Io(error) | Text(error) => error.clone(),
        RegistrarSilent => LINK_SILENT.into(),
        LinkGarbled => LINK_GARBLED.into(),
        MessageTooLong => LINK_TOO_LONG.into(),
        RegistrarPort(error) => link_port(error),
        RegistrarPortClosed => link_port(LINK_PORT_CLOSED),
        EmptyAnswer => "пустой ответ".into(),
        AnswerMismatch { sent, got } => format!("ответ на команду {got:X}h вместо {sent:X}h"),
        NoErrorCode { command } => format!("ответ на {command:X}h без кода ошибки"),
        RegistrarError { code, name } => registrar_error(*code, name),
        BadAnswer { command } => registrar_bad_answer(command),
        ShiftExpired => REGISTRAR_SHIFT_EXPIRED.into(),
        WaitsFor { job } => registrar_waits_for(*job),
        FiscalMarkNotSaved(failure) => fiscal_mark_failed(&storage_failure(failure)),
        MarkedUnitsWithoutCodes { name } => marked_units_without_codes(name),
        Storage(failure) => storage_failure(failure),
        NotSaved(failure) => not_printed_unsaved(failure),
        PrinterStopped => PRINTER_STOPPED.into(),
        Write { path, error } => format!("cannot write to {path}: {error}"),
    }
}

/// What a device's state means for the cashier.
pub fn device_state(state: &DeviceState) -> String {
    match state {
        DeviceState::Ready => "готов".into(),
        DeviceState::Offline(problem) => format!("{DEVICE_OFFLINE_SHORT} ({})", device_problem(problem)),
        DeviceState::Fault(problem) => device_problem(problem),
    }
}

/// `kassa watch`'s own line under the mirrored screen.
pub const WATCH_MIRROR: &str = "kassa watch: экран кассира, только просмотр · q — выход";
pub const WATCH_WAITING: &str = "kassa watch: ждём экран кассы… · q — выход";
pub const WATCH_ENDED: &str = "kassa watch: касса остановлена, ждём её снова · q — выход";

/// The mirror line when the window is smaller than the cashier's screen.
pub fn watch_cut(note: String, width: u16, height: u16) -> String {
    format!("{note} · окно меньше экрана кассы {width}x{height}")
}

/// Said on stderr when the workstation is started without a terminal.
pub const NO_TERMINAL: &str = "нет терминала: рабочее место запускается на консоли (systemctl start kassa) или по ssh -t; \
     без терминала работают kassa status, kassa logs, kassa queue list";

/// Said on stderr after a crash, with the report's path.
pub const CRASH_REPORT_WRITTEN: &str = "сбой; чек и очередь сохранены, перезапустите kassa. Отчёт для поддержки";

/// A print job could not reach the printer's thread (the workstation is stopping).
pub const PRINTER_STOPPED: &str = "принтер остановлен";

/// The file or the folder of a config layer, as a sentence names it
/// (`accusative`: as the object of «может изменить»).
fn config_place(what: crate::config::Examined, path: &str, mode: Option<u32>, layer: &std::path::Path, accusative: bool) -> String {
    let mode = mode.map_or(String::new(), |mode| format!(" (права {mode:04o})"));
    match (what, accusative) {
        (crate::config::Examined::File, _) => format!("файл {path}{mode}"),
        (crate::config::Examined::Folder, true) => format!("папку {path}{mode}, где лежит {},", layer.display()),
        (crate::config::Examined::Folder, false) => format!("папка {path}, где лежит {},", layer.display()),
    }
}

/// A config file (or its folder) others may change: refused, with the fix.
pub fn config_writable(what: crate::config::Examined, path: &str, mode: u32, layer: &std::path::Path) -> String {
    format!(
        "{} может изменить не только владелец — и направить кассу на свой сервер за ключом лояльности; \
         файл не принят. Исправьте: sudo chmod go-w {path}",
        config_place(what, path, Some(mode), layer, true)
    )
}

/// A config file (or its folder) owned by someone but root and kassa's user: refused, with the fix.
pub fn config_foreign_owner(what: crate::config::Examined, path: &str, uid: u32, layer: &std::path::Path) -> String {
    format!(
        "{} принадлежит пользователю с uid {uid} — не root и не тому, кто запускает кассу; \
         файл не принят. Исправьте: sudo chown root {path}",
        config_place(what, path, None, layer, false)
    )
}

/// Support's command cannot reach the running workstation's socket.
pub fn socket_denied(path: &std::path::Path) -> String {
    format!(
        "нет доступа к сокету {}: он для группы папки данных (на кассе — kassa-support); \
         добавьте инженера: sudo usermod -aG kassa-support ИМЯ и войдите снова",
        path.display()
    )
}

/// `kassa status` with no workstation running, by a user who may not open the store.
pub fn store_denied(data_dir: &std::path::Path) -> String {
    format!(
        "workstation: NOT RUNNING\nхранилище в {} открывает только пользователь kassa: sudo -u kassa kassa status \
         (администратор); причины остановки — в журнале ниже и в journalctl -u kassa",
        data_dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_filled_in_from_the_keymap_or_named_as_in_the_menu() {
        let keys = |command| (command == Command::Client).then(|| "F20".to_string());
        assert_eq!(with_keys("удалите клиента ({key:client}).", &keys), "удалите клиента (F20).");
        assert_eq!(with_keys("{key:confirm} — закрыть", &keys), "«Ввод» в меню — закрыть");
        assert_eq!(with_keys("{key:nonsense} {key:", &keys), "{key:nonsense} {key:");
        assert_eq!(keyed_hint(YES_NO, &keys), "«Ввод» в меню — да, «Отмена» в меню — нет");
    }

    /// Issue 20.9: counts in Russian grammar.
    #[test]
    fn counts_agree_with_their_words() {
        let words = [1, 2, 3, 5, 11, 12, 14, 21, 22, 25, 101, 111].map(attempts);
        assert_eq!(
            words,
            [
                "1 попытка",
                "2 попытки",
                "3 попытки",
                "5 попыток",
                "11 попыток",
                "12 попыток",
                "14 попыток",
                "21 попытка",
                "22 попытки",
                "25 попыток",
                "101 попытка",
                "111 попыток"
            ]
        );
    }

    /// Issue 20.9: a port's failure reads in Russian, never «Broken pipe».
    #[test]
    fn port_failures_read_in_russian() {
        use std::io::ErrorKind::*;
        for kind in [NotFound, PermissionDenied, BrokenPipe, UnexpectedEof, TimedOut, Other] {
            let reason = port_failure(crate::devices::port::failure_of(kind));
            assert!(!reason.is_ascii() && !reason.contains("pipe"), "{kind:?}: {reason}");
        }
    }
}
