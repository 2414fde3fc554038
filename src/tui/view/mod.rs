//! Drawing: a pure function of the state (and the live keymap, for key
//! names). One file per screen part or dialog.
//!
//! At 80x24: status line, receipt table, totals, client slot, input line,
//! info line, key hints. Wider terminals give the table more room; taller
//! ones more rows.

mod console;
mod dialogs;
mod hints;
mod receipt;
mod status;
mod totals;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::core::command::Command;
use crate::core::notice::Level;
use crate::core::state::{AppState, Busy};
use crate::text;
use crate::tui::keymap::Keymap;

/// Colours, or none at all (NO_COLOR, monochrome consoles): then emphasis
/// is carried by bold and reverse video only, so nothing is lost.
///
/// On the Linux console (TERM=linux) the font has a few hundred glyphs:
/// symbols it lacks are drawn with ones it has (see `console`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
    pub console: bool,
}

impl Theme {
    /// Colours, on a terminal that draws any glyph.
    pub const COLOR: Theme = Theme {
        color: true,
        console: false,
    };
    /// No colours (NO_COLOR), any glyph.
    pub const MONO: Theme = Theme {
        color: false,
        console: false,
    };

    pub fn from_env() -> Theme {
        Theme::from_vars(std::env::var_os("NO_COLOR").as_deref(), std::env::var_os("TERM").as_deref())
    }

    fn from_vars(no_color: Option<&std::ffi::OsStr>, term: Option<&std::ffi::OsStr>) -> Theme {
        Theme {
            color: no_color.is_none_or(|v| v.is_empty()),
            console: term.is_some_and(|t| t == "linux" || t.to_string_lossy().starts_with("linux-")),
        }
    }

    fn fg(self, color: Color) -> Style {
        if self.color { Style::new().fg(color) } else { Style::new() }
    }

    pub fn bar(self) -> Style {
        if self.color {
            Style::new().bg(Color::Blue).fg(Color::White)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn strong(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    pub fn level(self, level: Level) -> Style {
        match level {
            Level::Info => self.fg(Color::Green),
            Level::Warning => self.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Level::Error => self.fg(Color::Red).add_modifier(Modifier::BOLD),
        }
    }

    pub fn alarm(self) -> Style {
        if self.color {
            Style::new().bg(Color::Red).fg(Color::White).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        }
    }

    /// An alarm inside the (reversed) status bar: in monochrome it stands out
    /// by dropping the reverse video around it.
    pub fn alarm_in_bar(self) -> Style {
        if self.color {
            self.alarm()
        } else {
            Style::new().add_modifier(Modifier::BOLD).remove_modifier(Modifier::REVERSED)
        }
    }

    /// The loyalty link lamp: green or red; in monochrome the symbol says it.
    pub fn lamp(self, up: bool) -> Style {
        match (self.color, up) {
            (true, true) => Style::new().fg(Color::LightGreen).add_modifier(Modifier::BOLD),
            (true, false) => Style::new().fg(Color::LightRed).add_modifier(Modifier::BOLD),
            (false, _) => Style::new().add_modifier(Modifier::BOLD),
        }
    }

    pub fn key(self) -> Style {
        if self.color {
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }
}

/// The smallest terminal the screen is laid out for.
pub const MIN_SIZE: (u16, u16) = (80, 24);

pub fn draw(frame: &mut Frame, state: &AppState, keymap: &Keymap, theme: Theme) {
    let area = frame.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        draw_too_small(frame, theme);
    } else {
        draw_screen(frame, state, keymap, theme);
    }
    if theme.console {
        console::substitute(frame.buffer_mut());
    }
}

/// A window too small for the receipt says so, instead of a cut-off screen
/// where a total or a dialog could be missed. Input still works meanwhile.
fn draw_too_small(frame: &mut Frame, theme: Theme) {
    let area = frame.area();
    let lines = vec![
        Line::styled(text::TERMINAL_TOO_SMALL, theme.level(Level::Error)),
        Line::raw(text::terminal_size(area.width, area.height, MIN_SIZE)),
    ];
    let top = area.height.saturating_sub(2) / 2;
    let inside = Rect {
        y: area.y + top,
        height: area.height - top,
        ..area
    };
    frame.render_widget(Paragraph::new(lines).centered().wrap(ratatui::widgets::Wrap { trim: true }), inside);
}

/// Rows the info line may take for a notice too long for one: the receipt
/// table gives them up meanwhile.
const MAX_INFO_ROWS: usize = 3;

fn draw_screen(frame: &mut Frame, state: &AppState, keymap: &Keymap, theme: Theme) {
    let area = frame.area();
    let info = info_lines(state, keymap, theme, area.width as usize);
    let [status_area, body, totals_area, client_area, input_area, info_area, hints_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(info.len().max(1) as u16),
        Constraint::Length(1),
    ])
    .areas(area);
    // The loyalty server's note takes the receipt area's bottom; dialogs go above it.
    let key_of = |command| keymap.hint_key(command);
    let keys: text::KeyOf = &key_of;
    let [body, note_area] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(dialogs::note_height(body, &state.loyalty_note, keys)),
    ])
    .areas(body);
    status::draw(frame, status_area, state, theme);
    receipt::draw(frame, body, state, theme);
    if note_area.height > 0 {
        dialogs::draw_note(frame, note_area, &state.loyalty_note, keys, theme);
    }
    totals::draw(frame, totals_area, state, theme);
    totals::draw_client(frame, client_area, state, theme);
    draw_input(frame, input_area, state, theme);
    frame.render_widget(Paragraph::new(info), info_area);
    hints::draw(frame, hints_area, state, keymap, theme);
    if let Some(dialog) = &state.dialog {
        dialogs::draw(frame, body, dialog, state, keymap, theme);
    }
}

fn draw_input(frame: &mut Frame, area: Rect, state: &AppState, theme: Theme) {
    let mut spans = vec![Span::styled(format!("{}: ", text::INPUT), theme.dim())];
    if let Some(q) = state.pending_quantity {
        spans.push(Span::styled(
            format!("{} {q} × ", text::QUANTITY_PENDING, q = q.on_screen()),
            theme.strong(),
        ));
    }
    if state.dialog.is_none() {
        spans.push(Span::raw(state.input.as_str()));
        spans.push(Span::styled(" ", theme.selected()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The info line: what the workstation waits for, or the notice; wrapped
/// onto up to `MAX_INFO_ROWS` rows of `width` so nothing is cut.
fn info_lines(state: &AppState, keymap: &Keymap, theme: Theme, width: usize) -> Vec<Line<'static>> {
    let (said, style) = match (&state.busy, &state.notice) {
        (Some(busy), _) => {
            let waiting = match busy {
                Busy::ClosingReceipt(..) => text::WAIT_CLOSING,
                Busy::ClosingShift(_) => text::WAIT_SHIFT,
                Busy::FindingReceipts => text::WAIT_JOURNAL,
                Busy::Loyalty => text::WAIT_LOYALTY,
                Busy::MarkCheck => text::WAIT_MARK,
            };
            let escape = keymap
                .hint_key(Command::Cancel)
                .filter(|_| crate::core::update::can_stop_waiting(state));
            let waiting = match escape {
                Some(key) => text::wait_loyalty_escape(&key),
                None => waiting.to_string(),
            };
            (waiting, theme.level(Level::Warning))
        }
        (None, Some(notice)) => (
            text::notice_keyed(notice, &|command| keymap.hint_key(command)),
            theme.level(notice.level()),
        ),
        (None, None) => return vec![Line::default()],
    };
    wrap(&said, width, MAX_INFO_ROWS)
        .into_iter()
        .map(|line| Line::styled(line, style))
        .collect()
}

/// `text` in lines of at most `width` characters, broken between words
/// (a word longer than a line is split); at most `rows` lines, the last cut
/// with "…" only when even they are not enough.
fn wrap(text: &str, width: usize, rows: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = current.chars().count();
            let gap = usize::from(used > 0);
            if used + gap + word.len() <= width {
                if gap > 0 {
                    current.push(' ');
                }
                current.extend(word.iter());
                break;
            }
            if used > 0 {
                lines.push(std::mem::take(&mut current));
                continue;
            }
            current.extend(word.drain(..width));
        }
    }
    lines.push(current);
    if lines.len() > rows {
        let rest = lines.split_off(rows - 1).join(" ");
        lines.push(fit(&rest, width));
    }
    lines
}

/// A centred box for a dialog, clipped to `within`.
fn dialog_area(within: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(within.width);
    let height = height.min(within.height);
    Rect {
        x: within.x + (within.width - width) / 2,
        y: within.y + (within.height - height) / 2,
        width,
        height,
    }
}

/// Clears the dialog's box, draws its frame and title, and returns the inside.
fn dialog_frame(frame: &mut Frame, area: Rect, title: &str, theme: Theme) -> Rect {
    frame.render_widget(Clear, area);
    let block = Block::bordered().title(Span::styled(format!(" {title} "), theme.strong()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// A text field: label, value and a cursor block.
fn field<'a>(label: &'a str, value: &'a str, theme: Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label}: "), theme.dim()),
        Span::raw(value),
        Span::styled(" ", theme.selected()),
    ])
}

/// The first row of a list window of `height` rows that keeps `selected`
/// visible. The window moves in half pages: stepping item after item then
/// adds one row at a time instead of shifting every visible row (the receipt
/// table while scanning does better still: see `receipt::visible`).
fn window_start(selected: usize, len: usize, height: usize) -> usize {
    if height == 0 || len <= height || selected < height {
        return 0;
    }
    let step = (height / 2).max(1);
    ((selected - height) / step + 1) * step
}

/// Cuts `text` to `width` characters, marking the cut with "…".
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::catalog::Catalog;
    use crate::core::event::Event;
    use crate::core::state::{Durable, Settings};
    use crate::core::update::update;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::buffer::Buffer;
    use std::sync::Arc;

    const CATALOG: &str = "code;name;price\n1;Молоко;89.90\n2;Хлеб;55.50\n";

    fn screen(theme: Theme, events: &[Event]) -> Buffer {
        sized(80, 24, theme, events)
    }

    fn sale() -> Vec<Event> {
        use crate::core::command::Command;
        let mut events = vec![Event::Command(Command::OpenShift)];
        events.extend("Иванова".chars().map(Event::Char));
        events.push(Event::Command(Command::Confirm));
        events.extend([Event::Command(Command::Cancel), Event::Char('1'), Event::Command(Command::Confirm)]);
        events.extend([Event::Char('2'), Event::Command(Command::Confirm), Event::Command(Command::Up)]);
        events
    }

    #[test]
    fn the_selected_row_is_reversed_with_or_without_colour() {
        for color in [true, false] {
            let buffer = screen(Theme { color, console: false }, &sale());
            // Row 2 is the first position, selected after Up; row 3 is not.
            assert!(buffer[(1, 2)].modifier.contains(Modifier::REVERSED), "colour {color}");
            assert!(!buffer[(1, 3)].modifier.contains(Modifier::REVERSED), "colour {color}");
            // Moved to with the arrows, the row is lit whole.
            assert!(buffer[(10, 2)].modifier.contains(Modifier::REVERSED), "colour {color}");
        }
    }

    /// While scanning, the newest position is marked by its number only:
    /// the next scan then redraws one number cell, not the whole row.
    #[test]
    fn the_newest_position_is_marked_by_its_number() {
        use crate::core::command::Command;
        let mut events = sale();
        events.push(Event::Command(Command::Down));
        let buffer = screen(
            Theme {
                color: true,
                console: false,
            },
            &events,
        );
        assert!(buffer[(1, 3)].modifier.contains(Modifier::REVERSED));
        assert!(!buffer[(10, 3)].modifier.contains(Modifier::REVERSED));
        assert!(!buffer[(1, 2)].modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn an_expired_shift_is_an_alarm_in_colour_and_in_monochrome() {
        let mut events = sale();
        let later = chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("date");
        events.push(Event::Tick(later));
        let find = |buffer: &Buffer| (0..80).find(|&x| buffer[(x, 0)].symbol() == ">").expect("the >24ч marker");
        let colour = screen(Theme::COLOR, &events);
        assert_eq!(colour[(find(&colour), 0)].bg, Color::Red);
        let mono = screen(Theme::MONO, &events);
        let cell = &mono[(find(&mono), 0)];
        assert_eq!(cell.bg, Color::Reset);
        assert!(cell.modifier.contains(Modifier::BOLD));
        assert!(!cell.modifier.contains(Modifier::REVERSED), "stands out of the reversed bar");
        assert!(mono[(5, 0)].modifier.contains(Modifier::REVERSED), "the bar itself is reversed");
    }

    /// The screen of `events` at `width`x`height`, from 2026-11-23 09:00.
    fn sized(width: u16, height: u16, theme: Theme, events: &[Event]) -> Buffer {
        sized_then(width, height, theme, events, |_| {})
    }

    /// The screen after `events`, with `adjust` applied to the state last.
    fn sized_then(width: u16, height: u16, theme: Theme, events: &[Event], adjust: impl FnOnce(&mut AppState)) -> Buffer {
        let catalog = Arc::new(Catalog::from_csv("t", CATALOG).expect("valid"));
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("date");
        let mut state = AppState::restore(Arc::new(Settings::default()), catalog, Durable::default(), now);
        for event in events {
            update(&mut state, event.clone());
        }
        adjust(&mut state);
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        terminal
            .draw(|frame| draw(frame, &state, &Keymap::default_keymap(), theme))
            .expect("draw");
        terminal.backend().buffer().clone()
    }

    fn text_of(buffer: &Buffer) -> String {
        buffer.content.iter().map(|cell| cell.symbol()).collect()
    }

    /// Issue 20.10: texts that name keys take them from the live keymap.
    #[test]
    fn notices_and_dialog_hints_name_the_live_keys() {
        use crate::core::notice::Notice;
        use crate::core::state::Question;
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("keys.toml");
        std::fs::write(&file, "[keys]\nF2 = \"none\"\nF17 = \"search\"\nEsc = \"none\"\nF12 = \"cancel\"\n").expect("keymap");
        let keymap = Keymap::load(&file).expect("a keymap");
        let catalog = Arc::new(Catalog::from_csv("t", CATALOG).expect("valid"));
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("date");
        let mut state = AppState::restore(Arc::new(Settings::default()), catalog, Durable::default(), now);
        state.notice = Some(Notice::UnknownCode("77".into()));
        let mut terminal = Terminal::new(TestBackend::new(120, 24)).expect("terminal");
        terminal.draw(|frame| draw(frame, &state, &keymap, Theme::MONO)).expect("draw");
        let screen = text_of(terminal.backend().buffer());
        assert!(screen.contains("F17 — поиск"), "{screen}");
        assert!(!screen.contains("F2 — поиск"), "{screen}");
        state.notice = None;
        state.dialog = Some(crate::core::state::Dialog::Confirm(Question::Quit));
        terminal.draw(|frame| draw(frame, &state, &keymap, Theme::MONO)).expect("draw");
        let screen = text_of(terminal.backend().buffer());
        assert!(screen.contains("F12 — нет"), "{screen}");
        // A device driver's text names the key too (it has no keymap: a token).
        let file = dir.path().join("reprint.toml");
        std::fs::write(&file, "[keys]\n\"Ctrl+P\" = \"none\"\nF19 = \"reprint\"\n").expect("keymap");
        let keymap = Keymap::load(&file).expect("a keymap");
        state.dialog = None;
        state.notice = Some(Notice::DeviceTrouble(text::registrar_waits_for(12)));
        terminal.draw(|frame| draw(frame, &state, &keymap, Theme::MONO)).expect("draw");
        let screen = text_of(terminal.backend().buffer());
        assert!(screen.contains("№12 — F19"), "{screen}");
        assert!(!screen.contains("Ctrl+P") && !screen.contains("{key:"), "{screen}");
        state.notice = Some(Notice::PrintFailed("нет бумаги".into()));
        terminal.draw(|frame| draw(frame, &state, &keymap, Theme::MONO)).expect("draw");
        let screen = text_of(terminal.backend().buffer());
        assert!(screen.contains("сохранён — F19"), "{screen}");
    }

    /// Issue 20.7: the client line shows what the cashier can take (the
    /// bonus dialog's figure), not the server's raw amount.
    #[test]
    fn the_client_line_shows_what_bonuses_can_pay_now() {
        use crate::core::loyalty::{ReceiptLoyalty, Stage};
        use crate::core::money::Money;
        use crate::loyalty::ClientId;
        let screen = text_of(&sized_then(80, 24, Theme::MONO, &sale(), |state| {
            let receipt = state.durable.receipt.as_mut().expect("a receipt");
            let mut loyalty = ReceiptLoyalty::new(ClientId::Card("7770000000017".into()), "uid".into());
            loyalty.stage = Stage::Calculated { available: Money(1000_00) };
            receipt.loyalty = Some(loyalty);
        }));
        assert!(screen.contains("Доступно к оплате 145,40"), "{screen}");
        assert!(!screen.contains("1\u{a0}000,00"), "{screen}");
    }

    #[test]
    fn a_small_window_says_how_big_it_must_be_and_grows_back() {
        let small = text_of(&sized(60, 20, Theme::MONO, &sale()));
        assert!(small.contains(text::TERMINAL_TOO_SMALL), "{small}");
        assert!(small.contains("60x20") && small.contains("80x24"), "{small}");
        assert!(!small.contains("Молоко"), "no cut-off receipt");
        let full = text_of(&sized(80, 24, Theme::MONO, &sale()));
        assert!(full.contains("Молоко") && !full.contains(text::TERMINAL_TOO_SMALL));
        let tiny = text_of(&sized(10, 2, Theme::MONO, &sale()));
        assert!(tiny.contains("Окно"), "even a tiny window draws without a panic: {tiny}");
    }

    #[test]
    fn the_linux_console_gets_only_glyphs_its_font_has() {
        use crate::core::command::Command;
        let mut events = sale();
        // A dialog (box drawing), the lamp, arrows and a quantity mark.
        events.extend([Event::Command(Command::Pay)]);
        for console in [false, true] {
            let theme = Theme { color: true, console };
            let screen = text_of(&sized(100, 30, theme, &events));
            let foreign: String = screen.chars().filter(|c| !console::has_glyph(*c)).collect();
            if console {
                assert!(foreign.is_empty(), "glyphs the console font lacks: {foreign:?}");
            } else {
                assert!(!foreign.is_empty(), "the screen has symbols to replace");
            }
        }
    }

    /// A sale paid on a fiscal registrar out of paper, drawn with `keymap`:
    /// the window names the receipt, the reason, and the live key to retry.
    #[test]
    fn a_receipt_waiting_for_the_registrar_says_why_and_names_the_live_key() {
        use crate::core::command::Command;
        use crate::core::effect::Effect;
        let catalog = Arc::new(Catalog::from_csv("t", CATALOG).expect("valid"));
        let settings = Settings {
            fiscal: true,
            ..Settings::default()
        };
        let mut state = AppState::restore(Arc::new(settings), catalog, Durable::default(), chrono::NaiveDateTime::default());
        let mut events: Vec<Event> = sale();
        events.extend([Event::Command(Command::Pay), Event::Command(Command::Confirm)]);
        let mut print_fails = false;
        for event in events {
            let mut pending = vec![event];
            while let Some(event) = pending.pop() {
                for effect in update(&mut state, event) {
                    pending.push(match effect {
                        Effect::SaveState(_) => Event::Saved(Ok(())),
                        Effect::CloseReceipt { receipt, .. } => {
                            print_fails = true;
                            Event::ReceiptClosed(Ok(*receipt))
                        }
                        Effect::Print(job) => Event::Printed {
                            job: job.id,
                            result: if print_fails { Err(text::DEVICE_NO_PAPER.into()) } else { Ok(()) },
                            refused: false,
                        },
                        _ => continue,
                    });
                }
            }
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let remapped = dir.path().join("keys.toml");
        std::fs::write(&remapped, "[keys]\n\"F9\" = \"reprint\"\n\"Ctrl+P\" = \"none\"\n").expect("keymap");
        let keymap = Keymap::load(&remapped).expect("keymap");
        let mut terminal = Terminal::new(TestBackend::new(100, 30)).expect("terminal");
        terminal.draw(|frame| draw(frame, &state, &keymap, Theme::MONO)).expect("draw");
        let screen = text_of(terminal.backend().buffer());
        for expected in [text::REGISTRATION_TITLE, "Чек 1/1 на", "нет бумаги", "F9 (Повтор печати)"] {
            assert!(screen.contains(expected), "{expected:?} not on the screen:\n{screen}");
        }
        assert!(!screen.contains("Ctrl+P"), "the key the live keymap unbound is not named");
    }

    /// Runs of spaces (line ends, wrapped lines) as one space.
    fn squeeze(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Every notice with realistic (long) contents.
    fn every_notice() -> Vec<crate::core::notice::Notice> {
        use crate::core::command::Command;
        use crate::core::journal::ReceiptId;
        use crate::core::money::{AmountError, Money, Quantity};
        use crate::core::notice::Notice::*;
        use crate::core::state::CashDirection;
        use crate::devices::DeviceState;
        let id = ReceiptId { shift: 128, number: 1045 };
        let name = "Масло сливочное Домик в деревне 82,5% 180г №1234".to_string();
        let disk = crate::core::storage::StorageFailure::DiskFull { free_kib: 120 };
        let server = "Карта заблокирована, обратитесь на горячую линию".to_string();
        let big = Money(99_999_999_99);
        vec![
            UnknownBarcode("4601234567893".into()),
            UnknownCode("123456789012".into()),
            BadCheckDigit("4601234567894".into()),
            ReceiptBarcodeInSale,
            InputTooLong(64),
            BadAmount(AmountError::TooPrecise("123,4567".into(), 3)),
            BadAmount(AmountError::TooLarge("99999999999".into())),
            BadPercent("150%".into()),
            WholePiecesOnly(name.clone()),
            QuantityTooLarge(Quantity(99_999_000)),
            PositionSumTooLarge(big),
            ReceiptSumTooLarge(big),
            ChangeTooLarge {
                change: big,
                max: Money(5000_00),
            },
            TooManyPositions(1000),
            TypeQuantityFirst,
            ReceiptEmpty,
            DiscountCapped,
            DiscountOnReturn,
            PaymentsLockReceipt,
            ReturnReceiptLocked,
            Removed(name.clone()),
            NoShift,
            ShiftExpired,
            ShiftAlreadyOpen(128),
            FinishReceiptFirst,
            CashierNameEmpty,
            ShiftOpened(128),
            ShiftClosed(128),
            CashMoved(CashDirection::In, big),
            CashMoved(CashDirection::Out, big),
            NotEnoughCash { needed: big, drawer: big },
            CardOverpay { remaining: big },
            ReceiptClosed { id, change: big },
            ReceiptCancelled,
            NoPayments,
            ReturnQueryNotUnderstood("128/1045/23.11.2026".into()),
            NothingFound,
            NotASale(id),
            NothingLeftToReturn(id),
            ReturnMoreThanAvailable {
                available: Quantity(12_345),
            },
            NothingChosen,
            SaveFailed(disk.clone()),
            NothingNewUnsaved(disk.clone()),
            CloseFailed(disk.clone()),
            ShiftCloseFailed(disk.clone()),
            PrintFailed(crate::core::device::DeviceProblem::RegistrarError {
                code: 0x6B,
                name: "нет чековой ленты".into(),
            }),
            NotRegistered {
                receipt: Some(id),
                in_flight: true,
            },
            NotRegistered {
                receipt: Some(id),
                in_flight: false,
            },
            Registered(Some(id)),
            RegistrationRetried,
            DeviceDown("printer".into(), DeviceState::Offline("/dev/ttyUSB0: нет такого устройства".into())),
            DeviceTrouble(text::device_junk("Сканер", &crate::devices::framing::Junk::NoPrefix(vec![]))),
            DeviceTrouble(text::registrar_waits_for(123456)),
            SwipeNotNow,
            LookupFailed(disk.clone()),
            NothingToPrint,
            StoreWarning("база открыта на резерве: 3 записи очереди отложены".into()),
            StartedOnReserve,
            Resumed,
            RestartedAfterCrash,
            ResumedClosing,
            NotHere(Command::CancelBonusPayment),
            NoLoyalty,
            BadClientId("+7 999 123-45-67 доб. 12".into()),
            ClientSet("Константинопольская Александра Викторовна".into()),
            ClientRemoved,
            RemoveBonusFirst,
            BonusPaidLocksReceipt,
            LoyaltyRefused(server.clone()),
            OfflineAccrualOnly,
            WrongValidationCode,
            BonusNotAvailable,
            BonusTooMuch { limit: big },
            BonusPaid(big),
            BonusCancelled(big),
            PromoOverFloors("SUPERPROMO2026".into()),
            ReturnWithoutLoyalty(server.clone()),
            BonusCancelQueued(big),
            WaitCannotStop,
            NoBonusPaid,
            ConfirmQueued,
            QueuedSent,
            QueuedRefused(server.clone()),
            LostBonusCancelled(big),
            ScanNotNow("4601234567893".into()),
            StorageStuck,
            LostBonusInDoubt(big),
            LoyaltyAnswer(crate::core::loyalty::LoyaltyError::Refused { text: server.clone() }),
            LoyaltyOffline,
            NotInProtocol(Command::ChatBotLink),
            PromoNeedsClient,
            PromoSet("SUPERPROMO2026".into()),
            PromoRemoved,
            ClientRegistered,
            CodeSent,
            NameNeeded,
            QueueEntriesSetAside(12345),
            ClientNeeded,
            AnonymousNoBonus,
            ChatBotSent,
            CertificateAccepted(big),
            CertificateEmpty,
            CertificateTwice("1234567890123456".into()),
        ]
    }

    /// Issue 20.8: at 80 columns every notice is whole: a short form fits
    /// the info line; one that carries someone else's text (a server's, the
    /// disk's) wraps onto lines made for it, never cut.
    #[test]
    fn every_notice_is_whole_at_80_columns() {
        use crate::core::notice::Notice::*;
        let mut long = 0;
        for notice in every_notice() {
            let keymap = Keymap::default_keymap();
            let said = text::notice_keyed(&notice, &|command| keymap.hint_key(command));
            let foreign = matches!(
                notice,
                SaveFailed(_)
                    | NothingNewUnsaved(_)
                    | CloseFailed(_)
                    | ShiftCloseFailed(_)
                    | PrintFailed(_)
                    | DeviceDown(..)
                    | DeviceTrouble(_)
                    | LookupFailed(_)
                    | StoreWarning(_)
                    | LoyaltyRefused(_)
                    | ReturnWithoutLoyalty(_)
                    | QueuedRefused(_)
                    | LoyaltyAnswer(_)
                    | WholePiecesOnly(_)
            );
            if !foreign && said.chars().count() > 80 {
                eprintln!("no short form ({} chars): {said}", said.chars().count());
                long += 1;
            }
            let buffer = sized_then(80, 24, Theme::MONO, &sale(), |state| state.notice = Some(notice.clone()));
            let rows: Vec<String> = (0..24).map(|y| (0..80).map(|x| buffer[(x, y)].symbol()).collect()).collect();
            let screen = squeeze(&rows.join("\n"));
            assert!(screen.contains(&squeeze(&said)), "cut: {said}\n{screen}");
            assert!(screen.contains("Молоко") || screen.contains("Хлеб"), "the receipt stays: {screen}");
        }
        assert_eq!(long, 0, "notices without a short form");
    }

    /// The status line (row 0) with everything it can say at once.
    fn crowded_header(width: u16, adjust: impl FnOnce(&mut AppState)) -> String {
        let later = chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
            .and_then(|d| d.and_hms_opt(8, 35, 0))
            .expect("date");
        let mut events = sale();
        events.push(Event::Tick(later));
        let buffer = sized_then(width, 24, Theme::MONO, &events, |state| {
            state.durable.shift.as_mut().expect("shift").cashier = "Константинопольская Александра Викторовна".into();
            state.queue.depth = 12345;
            state.queue.rejected = 3;
            let job = crate::core::state::PrintJob {
                id: 7,
                document: crate::print::document::Document::default(),
                receipt: None,
            };
            state.durable.unprinted = vec![job.clone(), job];
            adjust(state);
        });
        (0..width).map(|x| buffer[(x, 0)].symbol().to_string()).collect()
    }

    /// Issue 20.8: the header drops its least useful parts first and never
    /// the time; the queue counters do not push out the cashier.
    #[test]
    fn the_header_keeps_the_clock_and_drops_the_least_useful_first() {
        let header = crowded_header(80, |_| {});
        assert!(header.contains("08:35"), "the time: {header}");
        assert!(header.contains("Z через 25 мин") || header.contains("Z 25 мин"), "{header}");
        assert!(header.contains("12345") && header.contains("3 "), "the queue counters: {header}");
        assert!(header.contains("2 не напеч"), "unprinted: {header}");
        assert!(header.contains("Константинопольская"), "the cashier: {header}");
        assert!(!header.contains("Магазин"), "the store goes first: {header}");
        // Everything at once: alarms and the time stay, the rest makes room.
        let header = crowded_header(80, |state| {
            state.watchers = 1;
            state.save_error = Some(crate::core::storage::StorageFailure::DiskFull { free_kib: 0 });
            state
                .devices
                .insert("printer".into(), crate::devices::DeviceState::Fault("no paper".into()));
            state
                .devices
                .insert("scanner".into(), crate::devices::DeviceState::Offline("gone".into()));
        });
        for part in ["08:35", "НЕ СОХРАНЕНО", "Принтер ✖", "Сканер ✖", "2 не напеч", "Z "] {
            assert!(header.contains(part), "{part:?} missing: {header}");
        }
        // A wide terminal says everything in full.
        let wide = crowded_header(200, |_| {});
        for part in [
            "Магазин",
            "24.11.2026 08:35",
            "Очередь 12345",
            "Отклонено 3",
            "2 не напечатано",
            "Константинопольская Александра Викторовна",
        ] {
            assert!(wide.contains(part), "{part:?} missing: {wide}");
        }
    }

    /// Issue 20.8: the client line fits 80 columns whole: the client's name
    /// (not the masked card) and what bonuses can pay now come first, the
    /// rest only when it fits whole.
    #[test]
    fn the_client_line_fits_by_priority() {
        use crate::core::loyalty::{ReceiptLoyalty, Stage};
        use crate::core::money::Money;
        use crate::loyalty::{Burning, ClientId};
        let burning = Burning {
            on: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
            amount: Money(500_00),
        };
        let buffer = sized_then(80, 24, Theme::MONO, &sale(), |state| {
            let receipt = state.durable.receipt.as_mut().expect("a receipt");
            let mut loyalty = ReceiptLoyalty::new(ClientId::Card("7770000000017".into()), "uid".into());
            loyalty.stage = Stage::Calculated { available: Money(1000_00) };
            loyalty.name = Some("Константинопольская Александра Викторовна".into());
            loyalty.balance = Some(Money(12345_67));
            loyalty.burning = vec![burning.clone()];
            loyalty.promo_code = Some("SUPERPROMO2026".into());
            receipt.loyalty = Some(loyalty);
        });
        let line: String = (0..80).map(|x| buffer[(x, 20)].symbol().to_string()).collect();
        assert!(line.starts_with("Клиент: "), "row 20 is the client line: {line}");
        assert!(line.contains("Константинопольская"), "the name: {line}");
        assert!(!line.contains("0017"), "the name, not the card: {line}");
        assert!(line.contains("Доступно к оплате 145,40"), "{line}");
        assert!(line.contains("Константинопольская А. В."), "the name's short form: {line}");
        let parts = [
            format!("{} {}", text::BONUS_BALANCE, Money(12345_67).on_screen()),
            text::burning(&burning),
            format!("{} SUPERPROMO2026", text::PROMO_TITLE),
        ];
        for part in parts {
            let head: String = part.chars().take(6).collect();
            assert!(line.contains(&part) || !line.contains(&head), "{part:?} cut: {line}");
        }
        assert!(!line.contains('…') || line.contains("Константинопольская"), "{line}");
    }

    #[test]
    fn theme_follows_no_color_and_term() {
        use std::ffi::OsStr;
        let theme = |no_color: Option<&str>, term: Option<&str>| Theme::from_vars(no_color.map(OsStr::new), term.map(OsStr::new));
        assert_eq!(theme(None, Some("xterm-256color")), Theme::COLOR);
        assert_eq!(theme(Some(""), Some("screen")), Theme::COLOR, "an empty NO_COLOR is no NO_COLOR");
        assert_eq!(theme(Some("1"), Some("tmux-256color")), Theme::MONO);
        assert_eq!(
            theme(None, Some("linux")),
            Theme {
                color: true,
                console: true
            }
        );
        assert_eq!(theme(Some("1"), None), Theme::MONO);
    }

    #[test]
    fn window_keeps_selection_visible() {
        for len in [0, 5, 30, 500] {
            for selected in 0..len {
                let start = window_start(selected, len, 10);
                assert!(
                    start <= selected && selected < start + 10,
                    "len {len} selected {selected} start {start}"
                );
                assert!(start + 10 <= len.max(10));
            }
        }
    }

    #[test]
    fn window_moves_in_half_pages() {
        let starts: Vec<usize> = (10..30).map(|s| window_start(s, 100, 10)).collect();
        assert_eq!(starts[..5], [5; 5]);
        assert_eq!(starts[5..10], [10; 5]);
    }

    #[test]
    fn wrap_breaks_between_words() {
        assert_eq!(wrap("Чек пуст", 80, 3), ["Чек пуст"]);
        assert_eq!(wrap("раз два три", 7, 3), ["раз два", "три"]);
        assert_eq!(wrap("абвгдежзик", 4, 3), ["абвг", "дежз", "ик"]);
        assert_eq!(wrap("раз два три четыре", 4, 2), ["раз", "два…"]);
    }

    #[test]
    fn fit_cuts_with_ellipsis() {
        assert_eq!(fit("Молоко", 10), "Молоко");
        assert_eq!(fit("Молоко Простоквашино", 8), "Молоко …");
    }
}
