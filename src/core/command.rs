//! Named commands: what a key does. Users write these names in keymap files.

use serde::{Deserialize, Serialize};

macro_rules! commands {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)*) => {
        /// Every action the cashier can take. Keymaps bind keys to these by name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Command {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Command {
            pub const ALL: &'static [Command] = &[$(Command::$variant,)*];

            /// The name used in keymap files and replay scripts.
            pub fn name(self) -> &'static str {
                match self { $(Command::$variant => $name,)* }
            }

            /// The one-line documentation of the command (English, for keymap authors).
            pub fn doc(self) -> &'static str {
                match self { $(Command::$variant => concat!($($doc),*).trim_ascii(),)* }
            }

            pub fn from_name(name: &str) -> Option<Command> {
                match name { $($name => Some(Command::$variant),)* _ => None }
            }
        }
    };
}

commands! {
    /// Enter the typed code, accept a dialog, pay in cash in the payment dialog.
    Confirm = "confirm",
    /// Close a dialog or clear the input line.
    Cancel = "cancel",
    /// Erase the last typed character.
    Backspace = "backspace",
    /// Select the previous row.
    Up = "up",
    /// Select the next row.
    Down = "down",
    /// Move the selection a page up.
    PageUp = "page_up",
    /// Move the selection a page down.
    PageDown = "page_down",
    /// Select the first row.
    Home = "home",
    /// Select the last row.
    End = "end",
    /// Use the typed number as the quantity of the next scanned item (`3` then `*`).
    Multiply = "multiply",
    /// Change the quantity of the selected position.
    Quantity = "quantity",
    /// Remove the selected position (storno), or the last payment in the payment dialog.
    Storno = "storno",
    /// Cancel the whole open receipt (asks for confirmation).
    CancelReceipt = "cancel_receipt",
    /// Find an item by name, filtering as you type.
    Search = "search",
    /// Show an item's price, minimum price and kind by its code, barcode or
    /// marking code, without touching the receipt.
    PriceCheck = "price_check",
    /// Give a discount on the selected position or on the whole receipt.
    Discount = "discount",
    /// Switch between fields or targets in a dialog.
    NextField = "next_field",
    /// Go to payment (subtotal).
    Pay = "pay",
    /// In the payment dialog: pay the typed amount (or the rest) by bank card.
    PayCard = "pay_card",
    /// Open a shift (asks for the cashier's name).
    OpenShift = "open_shift",
    /// Close the shift and print the Z-summary (asks for confirmation).
    CloseShift = "close_shift",
    /// Put cash into the drawer.
    CashIn = "cash_in",
    /// Take cash out of the drawer.
    CashOut = "cash_out",
    /// Print the X-summary of the open shift.
    XReport = "x_report",
    /// Return goods against a closed receipt.
    ReturnReceipt = "return_receipt",
    /// Print the last receipt again, or those the printer failed to print.
    Reprint = "reprint",
    /// Open the menu of all operations.
    Menu = "menu",
    /// Show every key binding.
    Help = "help",
    /// Leave the program (asks for confirmation; the open receipt is kept).
    Quit = "quit",
    /// Enter the loyalty client (card, phone or QR), or remove the one entered.
    Client = "client",
    /// Pay part of the receipt with the client's bonuses.
    BonusPayment = "bonus_payment",
    /// Cancel the bonus payment of the open receipt.
    CancelBonusPayment = "cancel_bonus_payment",
    /// Ask the loyalty system for a client's balance.
    Balance = "balance",
    /// Enter the receipt's promo code (one per receipt).
    PromoCode = "promo_code",
    /// Register a new loyalty client by phone (an SMS code confirms it).
    RegisterClient = "register_client",
    /// Pay part of the receipt with a gift certificate (MaxBonus).
    Certificate = "certificate",
    /// In the payment dialog: send the receipt electronically (the customer's
    /// phone or e-mail, tag 1008), only when the customer asks; paper is the default.
    EReceipt = "e_receipt",
    /// Send the receipt's client an SMS with the loyalty chat bot's link (MaxBonus).
    ChatBotLink = "chat_bot_link",
    /// Show the loyalty queue: unsent requests and the rejected archive.
    Queue = "queue",
    /// Send the loyalty queue now, without waiting for the retry delay.
    SendNow = "send_now",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde_and_round_trip() {
        for &command in Command::ALL {
            let json = serde_json::to_string(&command).expect("serializable");
            assert_eq!(json, format!("\"{}\"", command.name()));
            assert_eq!(Command::from_name(command.name()), Some(command));
            assert!(!command.doc().is_empty());
        }
    }
}
