//! The goods catalog: items, lookup by barcode or own code, name search.
//!
//! Kept compact because it is the largest thing in memory (100k+ items on a
//! thin terminal): names in `Box<str>`, barcodes packed into `u64` keys, and
//! items sorted by code so code lookup is a binary search with no extra map.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use thiserror::Error;

use super::barcode::has_valid_check_digit;
use super::money::{AmountError, Money};

/// VAT rate of an item, as the fiscal registrar needs it. 22 % is the
/// standard rate from 2026; 20 % stays readable for goods and receipts of
/// before (a return of a 2025 sale keeps its rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Vat {
    #[default]
    Vat22,
    Vat20,
    Vat10,
    Vat7,
    Vat5,
    Vat0,
    NoVat,
}

impl Vat {
    /// Every rate, in the order receipts list their VAT sums.
    pub const ALL: [Vat; 7] = [Vat::Vat22, Vat::Vat20, Vat::Vat10, Vat::Vat7, Vat::Vat5, Vat::Vat0, Vat::NoVat];

    /// The rate as the catalog and the config write it: `22`, `10`, `none`.
    pub fn key(self) -> &'static str {
        match self {
            Vat::Vat22 => "22",
            Vat::Vat20 => "20",
            Vat::Vat10 => "10",
            Vat::Vat7 => "7",
            Vat::Vat5 => "5",
            Vat::Vat0 => "0",
            Vat::NoVat => "none",
        }
    }

    /// An empty field is the standard rate.
    pub fn parse(text: &str) -> Option<Vat> {
        match text.trim() {
            "" => Some(Vat::Vat22),
            "без НДС" => Some(Vat::NoVat),
            other => Vat::ALL.into_iter().find(|v| v.key() == other),
        }
    }

    /// The rate in hundredths of a percent (2200 for 22 %); `None` without VAT.
    pub fn basis_points(self) -> Option<i64> {
        match self {
            Vat::Vat22 => Some(2200),
            Vat::Vat20 => Some(2000),
            Vat::Vat10 => Some(1000),
            Vat::Vat7 => Some(700),
            Vat::Vat5 => Some(500),
            Vat::Vat0 => Some(0),
            Vat::NoVat => None,
        }
    }

    /// The VAT inside a sum that includes it (sum × rate / (100 + rate)),
    /// rounded half up to the kopeck, as the fiscal registrar counts it.
    pub fn included_in(self, sum: Money) -> Money {
        let Some(rate) = self.basis_points() else { return Money::ZERO };
        let numerator = i128::from(sum.0) * i128::from(rate);
        let denominator = i128::from(10_000 + rate);
        let rounded = (2 * numerator + denominator) / (2 * denominator);
        Money(rounded as i64)
    }
}

/// The product group of a good that must be sold with its marking code
/// (Честный ЗНАК). Excise goods are registered with their own payment subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkGroup {
    Milk,
    Water,
    Beer,
    Tobacco,
    Nicotine,
    Shoes,
    Clothes,
    Medicine,
    Perfume,
    Tyres,
    Other,
}

impl MarkGroup {
    pub const ALL: [MarkGroup; 11] = [
        MarkGroup::Milk,
        MarkGroup::Water,
        MarkGroup::Beer,
        MarkGroup::Tobacco,
        MarkGroup::Nicotine,
        MarkGroup::Shoes,
        MarkGroup::Clothes,
        MarkGroup::Medicine,
        MarkGroup::Perfume,
        MarkGroup::Tyres,
        MarkGroup::Other,
    ];

    /// The group as the catalog's `mark` column writes it.
    pub fn key(self) -> &'static str {
        match self {
            MarkGroup::Milk => "milk",
            MarkGroup::Water => "water",
            MarkGroup::Beer => "beer",
            MarkGroup::Tobacco => "tobacco",
            MarkGroup::Nicotine => "nicotine",
            MarkGroup::Shoes => "shoes",
            MarkGroup::Clothes => "clothes",
            MarkGroup::Medicine => "medicine",
            MarkGroup::Perfume => "perfume",
            MarkGroup::Tyres => "tyres",
            MarkGroup::Other => "other",
        }
    }

    fn parse(text: &str) -> Option<Option<MarkGroup>> {
        match text.trim() {
            "" | "0" => Some(None),
            other => MarkGroup::ALL.into_iter().find(|g| g.key() == other).map(Some),
        }
    }

    /// Beer, tobacco and nicotine products are excise goods (подакцизные):
    /// the registrar is told so by the position's payment subject.
    pub fn excisable(self) -> bool {
        matches!(self, MarkGroup::Beer | MarkGroup::Tobacco | MarkGroup::Nicotine)
    }
}

/// Who may buy an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AgeLimit {
    #[default]
    None,
    /// Sold from 18 (tobacco and nicotine products, energy drinks).
    Adult,
    /// Sold from 18, and only in the hours the config allows.
    Alcohol,
}

impl AgeLimit {
    fn parse(text: &str) -> Option<AgeLimit> {
        match text.trim() {
            "" | "0" => Some(AgeLimit::None),
            "18" => Some(AgeLimit::Adult),
            "alcohol" => Some(AgeLimit::Alcohol),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub code: Box<str>,
    pub name: Box<str>,
    pub price: Money,
    /// No discount may take the unit price below this floor.
    pub min_price: Money,
    /// Sold by weight: quantities in grams, three decimals of a kilogram.
    pub weighed: bool,
    pub vat: Vat,
    /// Sold only with a marking code per unit, when set.
    pub mark: Option<MarkGroup>,
    pub age: AgeLimit,
}

#[cfg(test)]
impl Item {
    /// A piece item for tests: code "1", the given name, prices and VAT 20 %.
    pub(crate) fn sample(name: &str, price: Money, min_price: Money) -> Item {
        Item {
            code: "1".into(),
            name: name.into(),
            price,
            min_price,
            weighed: false,
            vat: Vat::Vat20,
            mark: None,
            age: AgeLimit::None,
        }
    }
}

#[derive(Debug, Default)]
pub struct Catalog {
    /// In file order.
    items: Vec<Item>,
    /// Indexes into `items`, sorted by code: code lookup is a binary search
    /// at four bytes per item, with no second copy of the items.
    by_code: Vec<u32>,
    by_barcode: HashMap<u64, u32>,
}

#[derive(Debug, Error)]
pub enum CatalogError {
    #[error("{source_name}, line {line}: {message}")]
    Row { source_name: String, line: u64, message: String },
    #[error("{source_name}: {0}", source_name = .1)]
    Csv(csv::Error, String),
    #[error("{source_name}: the header has no {column:?} column (expected code;name;price;min_price;weighed;barcodes;vat)")]
    MissingColumn { source_name: String, column: &'static str },
    #[error("{source_name}: item code {code:?} appears twice")]
    DuplicateCode { source_name: String, code: String },
    #[error("{source_name}, line {line}: barcode {barcode} belongs to two items: {first:?} and {second:?}")]
    DuplicateBarcode {
        source_name: String,
        line: u64,
        barcode: String,
        first: String,
        second: String,
    },
}

/// Packs a numeric barcode of up to 14 digits into a key that keeps its
/// length, so "036000291452" and "36000291452" stay different.
fn barcode_key(barcode: &str) -> Option<u64> {
    if barcode.is_empty() || barcode.len() > 14 || !barcode.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u64 = barcode.parse().ok()?;
    Some(value << 4 | barcode.len() as u64)
}

/// One catalog line's fields, borrowed from the reader's buffer.
struct Row<'a> {
    code: &'a str,
    name: &'a str,
    price: &'a str,
    min_price: &'a str,
    weighed: &'a str,
    vat: &'a str,
    mark: &'a str,
    age: &'a str,
}

/// Where each known column sits in the file's header.
struct Columns {
    code: usize,
    name: usize,
    price: usize,
    min_price: Option<usize>,
    weighed: Option<usize>,
    barcodes: Option<usize>,
    vat: Option<usize>,
    mark: Option<usize>,
    age: Option<usize>,
}

impl Columns {
    fn from_header(source_name: &str, header: &csv::StringRecord) -> Result<Columns, CatalogError> {
        let find = |name: &str| header.iter().position(|h| h.trim() == name);
        let required = |column: &'static str| {
            find(column).ok_or(CatalogError::MissingColumn {
                source_name: source_name.to_string(),
                column,
            })
        };
        Ok(Columns {
            code: required("code")?,
            name: required("name")?,
            price: required("price")?,
            min_price: find("min_price"),
            weighed: find("weighed"),
            barcodes: find("barcodes"),
            vat: find("vat"),
            mark: find("mark"),
            age: find("age"),
        })
    }
}

impl Catalog {
    /// Reads a `;`-separated CSV with a header:
    /// `code;name;price;min_price;weighed;barcodes;vat;mark;age`. `barcodes`
    /// is a comma-separated list; `weighed` is `1`/`0`; `vat` is 22, 20, 10,
    /// 7, 5, 0 or none (empty: 22); `mark` names the product group of a
    /// marked good (`milk`, `water`, `beer`, `tobacco`…; empty: not marked);
    /// `age` is `18` or `alcohol` (empty: anyone may buy).
    pub fn from_csv(source_name: &str, text: &str) -> Result<Catalog, CatalogError> {
        Catalog::from_reader(source_name, text.as_bytes())
    }

    /// Like [`Catalog::from_csv`], streaming from a file or any reader.
    pub fn from_reader(source_name: &str, reader: impl std::io::Read) -> Result<Catalog, CatalogError> {
        let csv_error = |e| CatalogError::Csv(e, source_name.to_string());
        let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(reader);
        let columns = Columns::from_header(source_name, reader.headers().map_err(csv_error)?)?;
        let mut items = Vec::new();
        let mut by_barcode = HashMap::new();
        // One reused record: UTF-8 is checked once per line, fields are borrowed.
        let mut record = csv::StringRecord::new();
        while reader.read_record(&mut record).map_err(csv_error)? {
            let line = record.position().map_or(0, |p| p.line());
            let row_error = |message: String| CatalogError::Row {
                source_name: source_name.to_string(),
                line,
                message,
            };
            let field = |index: Option<usize>| index.and_then(|i| record.get(i)).unwrap_or_default().trim();
            let row = Row {
                code: field(Some(columns.code)),
                name: field(Some(columns.name)),
                price: field(Some(columns.price)),
                min_price: field(columns.min_price),
                weighed: field(columns.weighed),
                vat: field(columns.vat),
                mark: field(columns.mark),
                age: field(columns.age),
            };
            let item = parse_row(&row).map_err(row_error)?;
            let index = items.len() as u32;
            for code in field(columns.barcodes).split(',').map(str::trim).filter(|b| !b.is_empty()) {
                if code.len() >= 8 && !has_valid_check_digit(code) {
                    return Err(row_error(format!("barcode {code}: wrong check digit")));
                }
                let key = barcode_key(code).ok_or_else(|| row_error(format!("barcode {code:?} is not all digits")))?;
                // The same barcode listed twice in this row names the same
                // item again: harmless, taken once. `previous` is then the
                // index of the item not yet pushed (issue 19, finding 6).
                if let Some(first) = by_barcode.insert(key, index).and_then(|previous| items.get(previous as usize)) {
                    let first: &Item = first;
                    return Err(CatalogError::DuplicateBarcode {
                        source_name: source_name.to_string(),
                        line,
                        barcode: code.to_string(),
                        first: first.name.to_string(),
                        second: item.name.to_string(),
                    });
                }
            }
            items.push(item);
        }
        items.shrink_to_fit();
        by_barcode.shrink_to_fit();
        let mut by_code: Vec<u32> = (0..items.len() as u32).collect();
        by_code.sort_unstable_by(|a, b| items[*a as usize].code.cmp(&items[*b as usize].code));
        if let Some(pair) = by_code.windows(2).find(|w| items[w[0] as usize].code == items[w[1] as usize].code) {
            let code = items[pair[0] as usize].code.to_string();
            return Err(CatalogError::DuplicateCode {
                source_name: source_name.to_string(),
                code,
            });
        }
        Ok(Catalog {
            items,
            by_code,
            by_barcode,
        })
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn by_barcode(&self, barcode: &str) -> Option<&Item> {
        let index = *self.by_barcode.get(&barcode_key(barcode)?)?;
        self.items.get(index as usize)
    }

    /// The item a marking code's GTIN names: the 14-digit GTIN itself, or
    /// the EAN-13 inside a GTIN that starts with 0 (how goods are listed).
    pub fn by_gtin(&self, gtin: &str) -> Option<&Item> {
        self.by_barcode(gtin).or_else(|| self.by_barcode(gtin.strip_prefix('0')?))
    }

    pub fn by_code(&self, code: &str) -> Option<&Item> {
        let at = self.by_code.binary_search_by(|&i| (*self.items[i as usize].code).cmp(code)).ok()?;
        self.items.get(self.by_code[at] as usize)
    }

    /// Items whose name contains every word of `query`, ignoring case and
    /// ё/е, at most `limit` of them, in catalog order. A query that finds
    /// nothing is tried again as if typed in the other keyboard layout
    /// (`vjkjrj` → «молоко»).
    pub fn search(&self, query: &str, limit: usize) -> Vec<&Item> {
        let found = self.search_words(query, limit);
        if !found.is_empty() {
            return found;
        }
        let other: String = query.chars().map(russian_layout).collect();
        if other == query { found } else { self.search_words(&other, limit) }
    }

    fn search_words(&self, query: &str, limit: usize) -> Vec<&Item> {
        let words: Vec<Vec<char>> = query.split_whitespace().map(|w| w.chars().map(fold).collect()).collect();
        if words.is_empty() {
            return Vec::new();
        }
        self.items
            .iter()
            .filter(|item| words.iter().all(|w| contains_folded(&item.name, w)))
            .take(limit)
            .collect()
    }

    pub fn items(&self) -> &[Item] {
        &self.items
    }
}

/// A character as search compares it: lower case, ё read as е.
fn fold(c: char) -> char {
    match c.to_lowercase().next().unwrap_or(c) {
        'ё' => 'е',
        other => other,
    }
}

/// The Russian (ЙЦУКЕН) letter on the key that gives `c` in the US layout.
fn russian_layout(c: char) -> char {
    const US: &str = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`QWERTYUIOP{}ASDFGHJKL:\"ZXCVBNM<>~";
    const RU: &str = "йцукенгшщзхъфывапролджэячсмитьбюёЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮЁ";
    US.chars().position(|u| u == c).and_then(|i| RU.chars().nth(i)).unwrap_or(c)
}

/// Substring test on folded characters without allocating (search runs on
/// every keystroke over the whole catalog).
fn contains_folded(haystack: &str, needle: &[char]) -> bool {
    let Some(&first) = needle.first() else { return true };
    for (at, c) in haystack.char_indices() {
        if fold(c) != first {
            continue;
        }
        let mut rest = haystack[at..].chars().skip(1);
        if needle[1..].iter().all(|n| rest.next().map(fold) == Some(*n)) {
            return true;
        }
    }
    false
}

fn parse_row(row: &Row) -> Result<Item, String> {
    let money = |field: &str, text: &str| -> Result<Money, String> { Money::parse(text).map_err(|e: AmountError| format!("{field}: {e}")) };
    if row.code.is_empty() {
        return Err("empty item code".into());
    }
    if row.name.is_empty() {
        return Err(format!("item {:?} has no name", row.code));
    }
    let price = money("price", row.price)?;
    let min_price = if row.min_price.is_empty() {
        Money::ZERO
    } else {
        money("min_price", row.min_price)?
    };
    if min_price > price {
        return Err(format!("min_price {min_price} is above price {price}"));
    }
    let weighed = match row.weighed {
        "" | "0" => false,
        "1" => true,
        other => return Err(format!("weighed: {other:?}, expected 0 or 1")),
    };
    let vat = Vat::parse(row.vat).ok_or_else(|| format!("vat: {:?}, expected 22, 20, 10, 7, 5, 0 or none", row.vat))?;
    let mark = MarkGroup::parse(row.mark).ok_or_else(|| {
        let groups: Vec<&str> = MarkGroup::ALL.iter().map(|g| g.key()).collect();
        format!("mark: {:?}, expected one of {} or nothing", row.mark, groups.join(", "))
    })?;
    let age = AgeLimit::parse(row.age).ok_or_else(|| format!("age: {:?}, expected 18, alcohol or nothing", row.age))?;
    if mark.is_some() && weighed {
        return Err(format!(
            "item {:?} is both weighed and marked: a marked good is sold by the piece, one code each",
            row.code
        ));
    }
    Ok(Item {
        code: row.code.into(),
        name: row.name.into(),
        price,
        min_price,
        weighed,
        vat,
        mark,
        age,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "code;name;price;min_price;weighed;barcodes;vat\n\
        1001;Молоко Простоквашино 3,2% 1л;89.90;80.00;0;4607001771562;10\n\
        2001;Яблоки Гренни Смит;149.00;120.00;1;;\n\
        1002;Хлеб Бородинский;55.50;;0;4600051000057,96385074;\n";

    #[test]
    fn loads_and_finds() {
        let catalog = Catalog::from_csv("sample", SAMPLE).expect("valid sample");
        assert_eq!(catalog.len(), 3);
        assert_eq!(catalog.by_barcode("4607001771562").map(|i| &*i.code), Some("1001"));
        assert_eq!(catalog.by_barcode("96385074").map(|i| &*i.code), Some("1002"));
        assert_eq!(catalog.by_code("2001").map(|i| i.weighed), Some(true));
        assert_eq!(catalog.by_code("1001").map(|i| i.vat), Some(Vat::Vat10));
        assert!(catalog.by_code("9999").is_none());
    }

    #[test]
    fn searches_words_ignoring_case() {
        let catalog = Catalog::from_csv("sample", SAMPLE).expect("valid sample");
        let names: Vec<&str> = catalog.search("МОЛ прост", 10).iter().map(|i| &*i.name).collect();
        assert_eq!(names, ["Молоко Простоквашино 3,2% 1л"]);
        assert_eq!(catalog.search("хлеб", 10).len(), 1);
        assert!(catalog.search("сыр", 10).is_empty());
    }

    /// Issue 20.11: ё and е are one letter to search, and a query typed in
    /// the Latin layout by mistake still finds the goods.
    #[test]
    fn search_folds_yo_and_reads_the_wrong_layout() {
        let catalog = Catalog::from_csv("sample", "code;name;price\n1;Свёкла;10\n2;Молоко;20\n3;Coca-Cola;30\n").expect("valid");
        let names = |q: &str| catalog.search(q, 10).iter().map(|i| i.name.to_string()).collect::<Vec<_>>();
        assert_eq!(names("свекла"), ["Свёкла"]);
        assert_eq!(names("СВЁК"), ["Свёкла"]);
        assert_eq!(names("vjkjrj"), ["Молоко"]);
        assert_eq!(names("VJK"), ["Молоко"]);
        assert_eq!(names("coca"), ["Coca-Cola"], "a Latin name is found as typed");
    }

    #[test]
    fn rejects_bad_rows_with_line_numbers() {
        let bad_price = "code;name;price\n1;Хлеб;12.345\n";
        let err = Catalog::from_csv("c.csv", bad_price).expect_err("bad price").to_string();
        assert!(err.starts_with("c.csv, line 2: price"), "{err}");
        let bad_check = "code;name;price;min_price;weighed;barcodes\n1;Хлеб;1;;0;4607001771563\n";
        let err = Catalog::from_csv("c.csv", bad_check).expect_err("bad check digit").to_string();
        assert!(err.contains("wrong check digit"), "{err}");
        let duplicate = "code;name;price\n1;Хлеб;1\n1;Батон;2\n";
        assert!(matches!(
            Catalog::from_csv("c.csv", duplicate),
            Err(CatalogError::DuplicateCode { .. })
        ));
        let floor = "code;name;price;min_price\n1;Хлеб;1;2\n";
        assert!(Catalog::from_csv("c.csv", floor).is_err());
        let group = "code;name;price;mark\n1;Хлеб;1;bread\n";
        let err = Catalog::from_csv("c.csv", group).expect_err("no such group").to_string();
        assert!(err.contains("mark: \"bread\", expected one of milk, water"), "{err}");
    }

    /// Issue 22.1, 22.7, 22.8: marked goods are found by the GTIN of their
    /// code, carry their group and age limit, and VAT takes the 2026 rates.
    #[test]
    fn marks_ages_and_the_rates_of_2026() {
        let csv = "code;name;price;min_price;weighed;barcodes;vat;mark;age\n\
            1;Вода;50;;0;4600972223306;;water;\n\
            2;Пиво;90;;0;4601234567893;22;beer;alcohol\n\
            3;Сок;70;;0;;5;;18\n";
        let catalog = Catalog::from_csv("c.csv", csv).expect("valid");
        let water = catalog.by_gtin("04600972223306").expect("found by its GTIN");
        assert_eq!(
            (water.mark, water.vat, water.age),
            (Some(MarkGroup::Water), Vat::Vat22, AgeLimit::None)
        );
        let beer = catalog.by_code("2").expect("beer");
        assert_eq!((beer.mark, beer.age), (Some(MarkGroup::Beer), AgeLimit::Alcohol));
        assert!(MarkGroup::Beer.excisable() && !MarkGroup::Water.excisable());
        assert_eq!(catalog.by_code("3").map(|i| (i.vat, i.age)), Some((Vat::Vat5, AgeLimit::Adult)));
        let weighed = "code;name;price;min_price;weighed;barcodes;vat;mark\n1;Сыр;1;;1;;;milk\n";
        assert!(Catalog::from_csv("c.csv", weighed).is_err(), "a marked good is sold by the piece");
    }

    #[test]
    fn vat_inside_a_sum_rounds_half_up() {
        assert_eq!(Vat::Vat22.included_in(Money(12_200)), Money(2_200));
        assert_eq!(Vat::Vat10.included_in(Money(11_000)), Money(1_000));
        assert_eq!(Vat::Vat20.included_in(Money(100)), Money(17), "16.67 → 17");
        assert_eq!(Vat::Vat0.included_in(Money(100)), Money::ZERO);
        assert_eq!(Vat::NoVat.included_in(Money(100)), Money::ZERO);
        assert_eq!(Vat::parse("без НДС"), Some(Vat::NoVat));
        assert_eq!(Vat::parse("18"), None);
    }

    /// Issue 19, finding 6: one row listing a barcode twice panicked (index
    /// out of bounds) at start and in `kassa config check`. The same barcode
    /// twice on the same item is harmless and taken once.
    #[test]
    fn a_barcode_twice_in_one_row_is_taken_once() {
        let twice = "code;name;price;;;barcodes;\n1;M;4;;;12346,12346;\n";
        let catalog = Catalog::from_csv("c.csv", twice).expect("the same item twice is harmless");
        assert_eq!(catalog.by_barcode("12346").map(|i| &*i.code), Some("1"));
        assert_eq!(catalog.len(), 1);
    }

    /// The same barcode on two different items is an error naming both
    /// items and the line of the second.
    #[test]
    fn a_barcode_on_two_items_is_refused_with_its_line() {
        let two = "code;name;price;;;barcodes;\n1;M;4;;;12346;\n2;N;5;;;12346;\n";
        let err = Catalog::from_csv("c.csv", two).expect_err("two items, one barcode");
        assert!(matches!(err, CatalogError::DuplicateBarcode { line: 3, .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.starts_with("c.csv, line 3: barcode 12346"), "{text}");
        assert!(text.contains("\"M\"") && text.contains("\"N\""), "{text}");
    }
}
