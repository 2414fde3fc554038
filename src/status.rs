//! `kassa status`: a one-shot report for support — shift, open receipt,
//! loyalty link, queue, devices, last problems. The running workstation
//! answers from its live state (through the support socket); with none
//! running, the report is made from the store and the logs.

use std::fmt::Write;

use crate::core::queue::QueueView;
use crate::core::state::{AppState, Durable};
use crate::text;

/// The report of a running workstation.
pub fn running(state: &AppState) -> String {
    let mut out = format!(
        "workstation: running, kassa {}, its clock {}\n",
        env!("CARGO_PKG_VERSION"),
        state.now.format("%Y-%m-%d %H:%M:%S")
    );
    describe(&mut out, &state.durable, &state.queue, state.settings.as_ref());
    let link = match (state.settings.loyalty, state.link) {
        (false, _) => "off",
        (true, None) => "unknown (no request yet)",
        (true, Some(true)) => "up",
        (true, Some(false)) => "DOWN",
    };
    let _ = writeln!(out, "loyalty link: {link}");
    // What the cashier has in front of them, by the names replay scripts use.
    let _ = writeln!(out, "window: {}", state.dialog.as_ref().map_or("none", |d| d.name()));
    if state.devices.is_empty() {
        out.push_str("devices: no reports yet\n");
    }
    for (device, device_state) in &state.devices {
        let mark = if device_state.is_ready() { "ok" } else { "DOWN" };
        let _ = writeln!(
            out,
            "device {device}: {mark} — {}",
            text::with_keys(&text::device_state(device_state), &|_| None)
        );
    }
    if let Some(error) = &state.save_error {
        let _ = writeln!(out, "SAVING FAILED: {}", text::storage_failure(error));
    }
    let _ = writeln!(out, "watching: {}", state.watchers);
    out.push_str("last problems shown to the cashier:\n");
    if state.recent_problems.is_empty() {
        out.push_str("  none\n");
    }
    for (at, notice) in &state.recent_problems {
        let _ = writeln!(out, "  {}  {}", at.format("%Y-%m-%d %H:%M:%S"), text::notice(notice));
    }
    out
}

/// The report with no workstation running: what the store kept.
pub fn stopped(durable: &Durable, queue: &QueueView, settings: &crate::core::state::Settings) -> String {
    let mut out = String::from("workstation: NOT RUNNING\n");
    describe(&mut out, durable, queue, settings);
    out
}

fn describe(out: &mut String, durable: &Durable, queue: &QueueView, settings: &crate::core::state::Settings) {
    let _ = writeln!(out, "store {} · register {}", settings.store_id, settings.register_id);
    match &durable.shift {
        Some(shift) => {
            let _ = writeln!(
                out,
                "shift: {} open since {}, cashier {}, {} sales, {} returns, drawer {}",
                shift.number,
                shift.opened_at.format("%Y-%m-%d %H:%M"),
                shift.cashier,
                shift.counters.sales.count,
                shift.counters.returns.count,
                shift.drawer_cash()
            );
        }
        None => {
            let _ = writeln!(
                out,
                "shift: closed (last {}), drawer {}",
                durable.last_shift_number, durable.drawer_cash
            );
        }
    }
    match &durable.receipt {
        Some(receipt) => {
            let client = receipt
                .loyalty
                .as_ref()
                .map(|l| format!(", client {}", l.client.masked()))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "open receipt: {} since {}, {} positions, total {}{client}",
                if receipt.is_return() { "return" } else { "sale" },
                receipt.opened_at.format("%H:%M:%S"),
                receipt.positions.len(),
                receipt.totals().total
            );
        }
        None => out.push_str("open receipt: none\n"),
    }
    let oldest = queue
        .head
        .as_ref()
        .map(|head| {
            let error = head.last_error.as_deref().map(|e| format!(", last error: {e}")).unwrap_or_default();
            format!(
                " (next: {} from {}, {} attempts{error})",
                head.request.name(),
                head.created.format("%Y-%m-%d %H:%M:%S"),
                head.attempts
            )
        })
        .unwrap_or_default();
    let _ = writeln!(out, "loyalty queue: {} pending{oldest}, {} rejected", queue.depth, queue.rejected);
    let _ = writeln!(out, "unprinted documents: {}", durable.unprinted.len());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::catalog::Catalog;
    use crate::core::command::Command;
    use crate::core::event::Event;
    use crate::core::state::Settings;
    use crate::core::update::update;
    use crate::devices::DeviceState;
    use std::sync::Arc;

    fn state() -> AppState {
        let catalog = Arc::new(Catalog::from_csv("t", "code;name;price\n1;Молоко;89.90\n").expect("valid"));
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("date");
        let settings = Settings {
            loyalty: true,
            ..Settings::default()
        };
        AppState::restore(Arc::new(settings), catalog, Durable::default(), now)
    }

    #[test]
    fn the_report_tells_shift_receipt_link_devices_and_problems() {
        let mut state = state();
        let mut events = vec![Event::Command(Command::OpenShift)];
        events.extend("Иванова".chars().map(Event::Char));
        events.extend([Event::Command(Command::Confirm), Event::Command(Command::Cancel)]);
        events.extend([Event::Scan("1".into()), Event::Scan("999".into())]);
        events.push(Event::Device {
            device: "printer".into(),
            state: DeviceState::Fault("нет бумаги".into()),
        });
        events.push(Event::Watchers(1));
        for event in events {
            update(&mut state, event);
        }
        let report = running(&state);
        for expected in [
            "workstation: running",
            "shift: 1 open since 2026-11-23 09:00, cashier Иванова",
            "open receipt: sale",
            "1 positions, total 89.90",
            "loyalty link: unknown",
            "device printer: DOWN — нет бумаги",
            "watching: 1",
            "999",
        ] {
            assert!(report.contains(expected), "{expected:?} in\n{report}");
        }
    }

    #[test]
    fn problems_keep_the_last_ten() {
        let mut state = state();
        update(&mut state, Event::Command(Command::OpenShift));
        "Иванова".chars().for_each(|c| drop(update(&mut state, Event::Char(c))));
        update(&mut state, Event::Command(Command::Confirm));
        for code in 0..15 {
            update(&mut state, Event::Scan(format!("99{code}")));
        }
        assert_eq!(state.recent_problems.len(), crate::core::state::RECENT_PROBLEMS);
        let report = running(&state);
        assert!(report.contains("9914") && !report.contains("994\n"), "{report}");
    }
}
