//! Every Russian word the cashier sees on screen or on paper lives here.

use crate::core::command::Command;
use crate::core::money::AmountError;
use crate::core::notice::Notice;
use crate::core::shift::SummaryKind;
use crate::core::state::{CashDirection, Question};

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

pub fn notice(notice: &Notice) -> String {
    use Notice::*;
    match notice {
        UnknownBarcode(code) => format!("Штрихкод {code} не найден в каталоге"),
        UnknownCode(code) => format!("Товар с кодом «{code}» не найден (F2 — поиск по названию)"),
        BadCheckDigit(code) => format!("Штрихкод {code}: неверная контрольная цифра — отсканируйте ещё раз"),
        ReceiptBarcodeInSale => "Это штрихкод чека: для возврата нажмите «Возврат»".into(),
        InputTooLong(max) => format!("Слишком длинный ввод (не больше {max} знаков)"),
        BadAmount(e) => amount_error(e),
        BadPercent(s) => format!("«{s}» — процент от 0 до 100, например 10%"),
        WholePiecesOnly(name) => format!("«{name}» продаётся поштучно: количество должно быть целым"),
        QuantityTooLarge(max) => format!("Количество больше допустимого ({max})"),
        PositionSumTooLarge(max) => format!("Сумма позиции больше допустимой ({max})"),
        ReceiptSumTooLarge(max) => format!("Сумма чека больше допустимой ({max})"),
        TooManyPositions(max) => format!("В чеке уже {max} позиций — закройте чек"),
        TypeQuantityFirst => "Сначала введите количество, затем ×".into(),
        ReceiptEmpty => "Чек пуст".into(),
        DiscountCapped => "Скидка ограничена минимальной ценой".into(),
        DiscountOnReturn => "В чеке возврата скидки не меняются".into(),
        PaymentsLockReceipt => "Чек частично оплачен: сначала отмените оплаты (Оплата, затем Сторно)".into(),
        ReturnReceiptLocked => "В чек возврата нельзя добавлять товары".into(),
        Removed(name) => format!("Сторно: {name}"),
        NoShift => "Смена не открыта (Открыть смену)".into(),
        ShiftExpired => "Смена длится больше 24 часов — закройте смену".into(),
        ShiftAlreadyOpen(n) => format!("Смена №{n} уже открыта"),
        FinishReceiptFirst => "Сначала закройте или отмените открытый чек".into(),
        CashierNameEmpty => "Введите имя кассира".into(),
        ShiftOpened(n) => format!("Смена №{n} открыта"),
        ShiftClosed(n) => format!("Смена №{n} закрыта, Z-отчёт напечатан"),
        CashMoved(CashDirection::In, sum) => format!("Внесено {sum}"),
        CashMoved(CashDirection::Out, sum) => format!("Выплачено {sum}"),
        NotEnoughCash { needed, drawer } => format!("В кассе {drawer} наличных, нужно {needed}"),
        CardOverpay { remaining } => format!("Картой нельзя оплатить больше остатка {remaining}"),
        ReceiptClosed { id, change } if change.is_zero() => format!("Чек {id} закрыт"),
        ReceiptClosed { id, change } => format!("Чек {id} закрыт. СДАЧА {change}"),
        ReceiptCancelled => "Чек отменён".into(),
        NoPayments => "Оплат нет".into(),
        ReturnQueryNotUnderstood(s) => format!("«{s}»: введите смену/номер (3/15), номер чека или дату (23.11.2026)"),
        NothingFound => "Чеки не найдены".into(),
        NotASale(id) => format!("Чек {id} — не продажа, по нему нельзя вернуть"),
        NothingLeftToReturn(id) => format!("По чеку {id} всё уже возвращено"),
        ReturnMoreThanAvailable { available } => format!("Можно вернуть не больше {available}"),
        NothingChosen => "Не выбрано ни одной позиции для возврата".into(),
        SaveFailed(e) => format!("НЕ СОХРАНЕНО на диск: {e}. Работа продолжается, повтор при следующем действии"),
        CloseFailed(e) => format!("Чек НЕ закрыт: {e}. Чек сохранён открытым — Ввод для повтора"),
        ShiftCloseFailed(e) => format!("Смена НЕ закрыта: {e}. Повторите закрытие"),
        PrintFailed(e) => format!("Принтер: {e}. Документ сохранён — «Повтор печати» (Ctrl+P)"),
        LookupFailed(e) => format!("Журнал недоступен: {e}"),
        StoreWarning(w) => format!("Внимание, сообщите в поддержку: {w}"),
        NothingToPrint => "Нечего печатать".into(),
        Resumed => "Восстановлен открытый чек".into(),
        ResumedClosing => "Восстановлено закрытие оплаченного чека".into(),
        NotHere(command) => format!("«{}» здесь недоступно", command_label(*command)),
    }
}

pub fn question(question: Question) -> &'static str {
    match question {
        Question::CancelReceipt => "Отменить весь чек?",
        Question::CloseShift => "Закрыть смену и напечатать Z-отчёт?",
        Question::Quit => "Выйти из программы? Открытый чек сохранится.",
    }
}

// The demo store, when no config names one
pub const DEMO_STORE_NAME: &str = "Демо-магазин";
pub const DEMO_STORE_ADDRESS: &str = "г. Москва, ул. Примерная, 1";

pub const YES_NO: &str = "Ввод — да, Esc — нет";

// Status line
pub const STORE: &str = "Магазин";
pub const REGISTER: &str = "Касса";
pub const SHIFT: &str = "Смена";
pub const SHIFT_CLOSED: &str = "смена закрыта";
pub const SHIFT_EXPIRED: &str = ">24ч";
pub const RECEIPT: &str = "Чек";
pub const CASHIER: &str = "Кассир";
pub const NOT_SAVED: &str = "НЕ СОХРАНЕНО";
pub const UNPRINTED: &str = "не напечатано";

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
pub const CHANGE: &str = "СДАЧА";
pub const PAYMENT_PROMPT: &str = "Сумма (пусто — весь остаток)";
pub const REFUND_CONFIRM: &str = "Ввод — выдать деньги и закрыть возврат";
pub const CONFIRM_TITLE: &str = "Подтверждение";
pub const RETURN_FIND_TITLE: &str = "Возврат: поиск чека";
pub const RETURN_FIND_PROMPT: &str = "Смена/номер, номер, дата или скан чека";
pub const RETURN_PICK_TITLE: &str = "Возврат по чеку";
pub const RETURN_PICK_HINT: &str = "Ввод — всё/ничего или введённое кол-во; Оплата — оформить";
pub const COL_SOLD: &str = "Продано";
pub const COL_RETURNED: &str = "Возвр.";
pub const COL_TO_RETURN: &str = "Вернуть";
pub const MENU_TITLE: &str = "Меню";
pub const HELP_TITLE: &str = "Клавиши";
pub const PREVIEW_TITLE: &str = "Печать";
pub const PREVIEW_HINT: &str = "Esc — закрыть, ↑↓ — листать";

// Printed documents
pub const P_SALE: &str = "КАССОВЫЙ ЧЕК / ПРИХОД";
pub const P_RETURN: &str = "КАССОВЫЙ ЧЕК / ВОЗВРАТ ПРИХОДА";
pub const P_COPY: &str = "КОПИЯ";
pub const P_RECEIPT_NO: &str = "Чек №";
pub const P_SHIFT_NO: &str = "Смена №";
pub const P_CASHIER: &str = "Кассир";
pub const P_DISCOUNT: &str = "  скидка";
pub const P_SUM: &str = "Сумма";
pub const P_DISCOUNTS: &str = "Скидки";
pub const P_TOTAL: &str = "ИТОГ";
pub const P_CASH: &str = "НАЛИЧНЫМИ";
pub const P_CARD: &str = "БЕЗНАЛИЧНЫМИ";
pub const P_TENDERED: &str = "ПОЛУЧЕНО";
pub const P_CHANGE: &str = "СДАЧА";
pub const P_ORIGINAL: &str = "По чеку";
pub const P_REGISTER: &str = "Касса";
pub const P_THANKS: &str = "СПАСИБО ЗА ПОКУПКУ!";
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
pub const P_TOTAL_LOWER: &str = "  итого";
pub const P_CANCELLED: &str = "Отменено чеков";
pub const P_OPENING_CASH: &str = "Наличные на начало";
pub const P_DRAWER: &str = "НАЛИЧНЫЕ В КАССЕ";

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
