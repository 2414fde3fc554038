//! Deterministic catalogs of any size, for benchmarks (`kassa catalog generate`).

use crate::core::barcode::with_check_digit;

const KINDS: &[&str] = &[
    "Молоко",
    "Кефир",
    "Йогурт",
    "Сыр",
    "Масло сливочное",
    "Творог",
    "Хлеб",
    "Батон",
    "Печенье",
    "Конфеты",
    "Шоколад",
    "Чай",
    "Кофе",
    "Сок",
    "Вода",
    "Лимонад",
    "Макароны",
    "Рис",
    "Гречка",
    "Мука",
    "Сахар",
    "Соль",
    "Консервы",
    "Колбаса",
    "Сосиски",
    "Пельмени",
    "Мороженое",
    "Шампунь",
    "Мыло",
    "Зубная паста",
];
const BRANDS: &[&str] = &[
    "Домик в деревне",
    "Простоквашино",
    "Вкусвилл",
    "Красная цена",
    "Каждый день",
    "Ашан",
    "Гарнец",
    "Мираторг",
    "Черкизово",
    "Бабаевский",
    "Красный Октябрь",
    "Липтон",
    "Якобс",
    "Добрый",
    "Святой источник",
    "Макфа",
];
const SIZES: &[&str] = &["100г", "200г", "250г", "500г", "900г", "1кг", "0,5л", "1л", "1,5л", "2л"];

/// A CSV catalog of `count` items (header included); every 10th is weighed.
pub fn generate(count: usize) -> String {
    let mut out = String::with_capacity(count * 80);
    out.push_str("code;name;price;min_price;weighed;barcodes;vat\n");
    let mut seed: u64 = 0x5eed;
    for i in 0..count {
        // A linear congruential generator: deterministic, no dependency.
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let kind = KINDS[i % KINDS.len()];
        let brand = BRANDS[(i / KINDS.len()) % BRANDS.len()];
        let size = SIZES[(seed >> 33) as usize % SIZES.len()];
        let price = 1_000 + (seed >> 20) % 200_000;
        let min_price = price * 7 / 10;
        let code = 100_000 + i;
        let weighed = i % 10 == 9;
        let barcode = if weighed {
            String::new()
        } else {
            with_check_digit(&format!("460{:09}", i)).unwrap_or_default()
        };
        let name = if weighed {
            format!("{kind} {brand} весовой №{i}")
        } else {
            format!("{kind} {brand} {size} №{i}")
        };
        out.push_str(&format!(
            "{code};{name};{}.{:02};{}.{:02};{};{barcode};20\n",
            price / 100,
            price % 100,
            min_price / 100,
            min_price % 100,
            u8::from(weighed)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::catalog::Catalog;

    #[test]
    fn generated_catalog_loads() {
        let catalog = Catalog::from_csv("generated", &generate(1000)).expect("valid");
        assert_eq!(catalog.len(), 1000);
        assert_eq!(catalog.items().iter().filter(|i| i.weighed).count(), 100);
    }
}
