//! The store's limits on what one position and one receipt may hold
//! (`[sale]` in config): checked by a sale and by a return alike.

use crate::core::money::{Money, Quantity};
use crate::core::notice::Notice;
use crate::core::state::AppState;

/// Checks a quantity against the item's unit and the limits.
pub(super) fn check_quantity(state: &AppState, name: &str, weighed: bool, quantity: Quantity) -> Result<(), Notice> {
    if !weighed && !quantity.is_whole() {
        return Err(Notice::WholePiecesOnly(name.to_string()));
    }
    let max = state.settings.limits.max_quantity;
    if quantity > max {
        return Err(Notice::QuantityTooLarge(max));
    }
    Ok(())
}

/// Checks that a position of `price × quantity` fits the limits, given the
/// receipt's total without the position at `replacing` (when changing one).
pub(super) fn check_sum(state: &AppState, price: Money, quantity: Quantity, replacing: Option<usize>) -> Result<(), Notice> {
    let limits = state.settings.limits;
    let sum = price
        .times(quantity)
        .filter(|s| *s <= limits.max_position_sum)
        .ok_or(Notice::PositionSumTooLarge(limits.max_position_sum))?;
    let others: i64 = state.receipt().map_or(0, |r| {
        r.positions
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != replacing)
            .map(|(_, p)| p.total().0)
            .sum()
    });
    if others.checked_add(sum.0).is_none_or(|t| t > limits.max_receipt_sum.0) {
        return Err(Notice::ReceiptSumTooLarge(limits.max_receipt_sum));
    }
    Ok(())
}
