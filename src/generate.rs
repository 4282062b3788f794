//! Demo data for the radar: a seeded generator that writes a small but
//! realistic set of source files (accounts, deals, orders, org, FX rates,
//! holidays and market sizes) plus the `radar.toml` that reads them.
//!
//! The same options always give byte-identical files: nothing here reads the
//! clock, and every loop runs in a fixed order. Accounts follow planted
//! archetypes (hot, fading, steady, prospect) so the scores have something
//! real to find, and a few order and deal rows are deliberately malformed so
//! ingest has something to quarantine.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What to generate: how many accounts, how many days of history and the
/// day after the last one (no event falls on or after `end`).
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub accounts: usize,
    pub days: i64,
    pub seed: u64,
    pub end: NaiveDate,
}

/// What was written: each file with its number of data rows, how many of
/// those rows are malformed on purpose, and the config that reads them.
#[derive(Debug, Clone)]
pub struct GenerateSummary {
    pub files: Vec<(String, u64)>,
    pub bad_rows: u64,
    pub config_path: PathBuf,
}

/// Writes the demo data set and its config into `out_dir`.
pub fn generate(opts: &GenerateOptions, out_dir: &Path) -> Result<GenerateSummary> {
    let period = Period::new(opts)?;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create output folder {}", out_dir.display()))?;

    let accounts = plan_accounts(opts.seed, opts.accounts, period);

    let mut summary = GenerateSummary {
        files: Vec::new(),
        bad_rows: 0,
        config_path: out_dir.join(CONFIG_FILE),
    };
    write_accounts(out_dir, &accounts)?.finish(&mut summary)?;
    write_opportunities(out_dir, &accounts, period, opts.seed)?.finish(&mut summary)?;
    write_orders(out_dir, &accounts, period, opts.seed)?.finish(&mut summary)?;
    write_org(out_dir)?.finish(&mut summary)?;
    write_fx_rates(out_dir, period, opts.seed)?.finish(&mut summary)?;
    write_holidays(out_dir, period)?.finish(&mut summary)?;
    write_market(out_dir, opts.end, opts.seed)?.finish(&mut summary)?;

    write_config(&summary.config_path)?;
    Ok(summary)
}

const CONFIG_FILE: &str = "radar.toml";

/// A century of history; longer spans are surely a typo.
const MAX_HISTORY_DAYS: i64 = 36_500;

/// Share of order and deal rows that are written malformed on purpose.
const BAD_ROW_SHARE: f64 = 0.005;

/// Each file draws from its own stream, so changing one file's shape leaves
/// the others as they were.
const ACCOUNT_STREAM: u64 = 1;
const OPPORTUNITY_STREAM: u64 = 2;
const ORDER_STREAM: u64 = 3;
const FX_STREAM: u64 = 4;
const MARKET_STREAM: u64 = 5;

// ---------------------------------------------------------------------------
// The world: currencies, regions, industries and products.

#[derive(Debug)]
struct Currency {
    code: &'static str,
    /// Long-run value of one unit in EUR; list prices are set at this level.
    eur_per_unit: f64,
    daily_volatility: f64,
    rate_decimals: usize,
    minor_digits: u32,
}

const EUR: Currency = Currency {
    code: "EUR",
    eur_per_unit: 1.0,
    daily_volatility: 0.0,
    rate_decimals: 6,
    minor_digits: 2,
};
const GBP: Currency = Currency {
    code: "GBP",
    eur_per_unit: 1.17,
    daily_volatility: 0.0035,
    rate_decimals: 6,
    minor_digits: 2,
};
const USD: Currency = Currency {
    code: "USD",
    eur_per_unit: 0.92,
    daily_volatility: 0.0045,
    rate_decimals: 6,
    minor_digits: 2,
};
const CNY: Currency = Currency {
    code: "CNY",
    eur_per_unit: 0.13,
    daily_volatility: 0.004,
    rate_decimals: 6,
    minor_digits: 2,
};
const JPY: Currency = Currency {
    code: "JPY",
    eur_per_unit: 0.0062,
    daily_volatility: 0.0055,
    rate_decimals: 8,
    minor_digits: 0,
};

/// The currencies quoted against EUR in `fx_rates.csv`.
const QUOTED: [&Currency; 4] = [&GBP, &USD, &CNY, &JPY];

/// A fixed-date public holiday: month, day, name.
type Holiday = (u32, u32, &'static str);

/// A sales region: one country with its team, cities and holidays.
#[derive(Debug)]
struct Region {
    name: &'static str,
    /// ISO 3166 code; the holiday feed names countries this way.
    code: &'static str,
    currency: &'static Currency,
    time_zone: &'static str,
    /// Share of the account base in this region.
    weight: f64,
    legal_form: &'static str,
    cities: [&'static str; 4],
    /// Empty where the post is vacant.
    director: &'static str,
    success_owner: &'static str,
    sales_reps: [&'static str; 2],
    holidays: &'static [Holiday],
}

static REGIONS: [Region; 6] = [
    Region {
        name: "Germany",
        code: "DE",
        currency: &EUR,
        time_zone: "Europe/Berlin",
        weight: 0.28,
        legal_form: "GmbH",
        cities: ["Altbrunn", "Lindenhafen", "Rotenfeld", "Oberwald"],
        director: "Jonas Becker",
        success_owner: "Katrin Wolf",
        sales_reps: ["Felix Hartmann", "Sabine Krause"],
        holidays: &[
            (1, 1, "New Year's Day"),
            (5, 1, "Labour Day"),
            (10, 3, "Day of German Unity"),
            (12, 25, "Christmas Day"),
            (12, 26, "Second Day of Christmas"),
        ],
    },
    Region {
        name: "France",
        code: "FR",
        currency: &EUR,
        time_zone: "Europe/Paris",
        weight: 0.15,
        legal_form: "SAS",
        cities: ["Belleroche", "Montclair", "Saint-Aurel", "Rivemont"],
        director: "Claire Dubois",
        success_owner: "Julien Moreau",
        sales_reps: ["Camille Laurent", "Hugo Bernard"],
        holidays: &[
            (1, 1, "New Year's Day"),
            (5, 1, "Labour Day"),
            (5, 8, "Victory in Europe Day"),
            (7, 14, "National Day"),
            (8, 15, "Assumption Day"),
            (11, 1, "All Saints' Day"),
            (11, 11, "Armistice Day"),
            (12, 25, "Christmas Day"),
        ],
    },
    Region {
        name: "United Kingdom",
        code: "GB",
        currency: &GBP,
        time_zone: "Europe/London",
        weight: 0.15,
        legal_form: "Ltd",
        cities: ["Ashbridge", "Kingsmere", "Northwick", "Haverleigh"],
        director: "Oliver Hughes",
        success_owner: "Emma Clarke",
        sales_reps: ["James Turner", "Sophie Walsh"],
        holidays: &[
            (1, 1, "New Year's Day"),
            (12, 25, "Christmas Day"),
            (12, 26, "Boxing Day"),
        ],
    },
    Region {
        name: "United States",
        code: "US",
        currency: &USD,
        time_zone: "America/New_York",
        weight: 0.20,
        legal_form: "Inc.",
        cities: ["Lakemont", "Port Ellery", "Harlow City", "Westhaven"],
        director: "Rachel Brooks",
        success_owner: "Daniel Reyes",
        sales_reps: ["Megan Foster", "Tyler Grant"],
        holidays: &[
            (1, 1, "New Year's Day"),
            (6, 19, "Juneteenth"),
            (7, 4, "Independence Day"),
            (11, 11, "Veterans Day"),
            (12, 25, "Christmas Day"),
        ],
    },
    Region {
        name: "China",
        code: "CN",
        currency: &CNY,
        time_zone: "Asia/Shanghai",
        weight: 0.13,
        legal_form: "Co., Ltd.",
        cities: ["Dongshan", "Jinhai", "Xinyuan", "Nanhe"],
        director: "Zhang Wei",
        success_owner: "Li Na",
        sales_reps: ["Wang Fang", "Chen Jie"],
        holidays: &[
            (1, 1, "New Year's Day"),
            (5, 1, "Labour Day"),
            (10, 1, "National Day"),
            (10, 2, "National Day Holiday"),
            (10, 3, "National Day Holiday"),
        ],
    },
    Region {
        name: "Japan",
        code: "JP",
        currency: &JPY,
        time_zone: "Asia/Tokyo",
        weight: 0.09,
        legal_form: "K.K.",
        cities: ["Minatohama", "Aoyamachi", "Kitanoura", "Sakuragawa"],
        director: "",
        success_owner: "Sato Yuki",
        sales_reps: ["Tanaka Ken", "Suzuki Mai"],
        holidays: &[
            (1, 1, "New Year's Day"),
            (2, 11, "National Foundation Day"),
            (2, 23, "Emperor's Birthday"),
            (4, 29, "Showa Day"),
            (5, 3, "Constitution Memorial Day"),
            (5, 4, "Greenery Day"),
            (5, 5, "Children's Day"),
            (11, 3, "Culture Day"),
            (11, 23, "Labour Thanksgiving Day"),
        ],
    },
];

/// One region's addressable market: size across all industries in the
/// first year, in billions of EUR, and the range its cells grow in.
#[derive(Debug)]
struct Market {
    region: &'static str,
    size_bn: f64,
    growth: (f64, f64),
}

/// Account regions first, then three regions without a single account.
static MARKETS: [Market; 9] = [
    market("Germany", 3.2, -0.02, 0.05),
    market("France", 2.1, -0.02, 0.05),
    market("United Kingdom", 2.0, -0.02, 0.05),
    market("United States", 9.5, 0.0, 0.06),
    market("China", 7.5, 0.01, 0.08),
    market("Japan", 3.6, -0.03, 0.03),
    market("Brazil", 1.5, 0.05, 0.12),
    market("India", 2.4, 0.08, 0.16),
    market("Canada", 1.3, 0.01, 0.07),
];

const fn market(region: &'static str, size_bn: f64, low: f64, high: f64) -> Market {
    Market {
        region,
        size_bn,
        growth: (low, high),
    }
}

/// Industry, its share of a region's market and words for company names.
#[derive(Debug)]
struct Industry {
    name: &'static str,
    market_share: f64,
    name_words: [&'static str; 4],
}

static INDUSTRIES: [Industry; 5] = [
    Industry {
        name: "manufacturing",
        market_share: 0.32,
        name_words: ["Works", "Fabrication", "Machining", "Tooling"],
    },
    Industry {
        name: "retail",
        market_share: 0.18,
        name_words: ["Stores", "Market", "Outfitters", "Retail"],
    },
    Industry {
        name: "healthcare",
        market_share: 0.20,
        name_words: ["Clinics", "Medical", "Health", "Care"],
    },
    Industry {
        name: "energy",
        market_share: 0.16,
        name_words: ["Power", "Energy", "Utilities", "Renewables"],
    },
    Industry {
        name: "logistics",
        market_share: 0.14,
        name_words: ["Freight", "Logistics", "Transport", "Cargo"],
    },
];

static NAME_STEMS: [&str; 24] = [
    "Alder",
    "Brightwater",
    "Cobalt",
    "Dunmore",
    "Eastfield",
    "Fernhill",
    "Granite",
    "Harbor",
    "Ironwood",
    "Juniper",
    "Kestrel",
    "Larch",
    "Meridian",
    "Northgate",
    "Oakridge",
    "Pinecrest",
    "Quarry",
    "Redstone",
    "Silverline",
    "Tidewater",
    "Upland",
    "Valewood",
    "Westbrook",
    "Yarrow",
];

#[derive(Debug)]
struct Product {
    name: &'static str,
    list_price_eur: f64,
    /// Most units on one order line of a small customer.
    units: u32,
    /// Relative frequency on order lines.
    weight: f64,
}

static PRODUCTS: [Product; 6] = [
    product("Sensor Pack", 180.0, 12, 3.0),
    product("Spare Parts Kit", 95.0, 20, 3.0),
    product("Drive Module", 820.0, 6, 2.0),
    product("Control Unit", 1450.0, 4, 1.5),
    product("Service Plan", 2400.0, 1, 0.8),
    product("Analytics Licence", 3600.0, 2, 0.5),
];

const fn product(name: &'static str, list_price_eur: f64, units: u32, weight: f64) -> Product {
    Product {
        name,
        list_price_eur,
        units,
        weight,
    }
}

// ---------------------------------------------------------------------------
// The history window.

/// The days of history: `start` up to, not including, `end`.
#[derive(Debug, Clone, Copy)]
struct Period {
    start: NaiveDate,
    end: NaiveDate,
}

impl Period {
    fn new(opts: &GenerateOptions) -> Result<Period> {
        if opts.days < 1 {
            bail!("history must span at least one day, got {}", opts.days);
        }
        if opts.days > MAX_HISTORY_DAYS {
            bail!(
                "history may span at most {MAX_HISTORY_DAYS} days, got {}",
                opts.days
            );
        }
        if !(1900..=9000).contains(&opts.end.year()) {
            bail!("end date {} is outside the years 1900 to 9000", opts.end);
        }
        let start = opts.end - Duration::days(opts.days);
        Ok(Period {
            start,
            end: opts.end,
        })
    }

    fn days(self) -> i64 {
        (self.end - self.start).num_days()
    }

    fn dates(self) -> impl Iterator<Item = NaiveDate> {
        self.start
            .iter_days()
            .take_while(move |date| *date < self.end)
    }

    /// How far into the history a day lies, from 0 at the start to 1.
    fn progress(self, date: NaiveDate) -> f64 {
        (date - self.start).num_days() as f64 / self.days() as f64
    }
}

// ---------------------------------------------------------------------------
// Accounts and their planted archetypes.

/// The behaviour planted in an account, which the scores should recover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Archetype {
    /// Wins a deal nearly every month; orders rise over the period.
    Hot,
    /// A customer whose orders taper and stop some months before the end.
    Fading,
    Steady,
    /// Never ordered; deals mostly lost.
    Prospect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment {
    Enterprise,
    MidMarket,
    Smb,
}

impl Segment {
    fn name(self) -> &'static str {
        match self {
            Segment::Enterprise => "enterprise",
            Segment::MidMarket => "mid-market",
            Segment::Smb => "smb",
        }
    }

    fn employees(self) -> (f64, f64) {
        match self {
            Segment::Enterprise => (2_000.0, 40_000.0),
            Segment::MidMarket => (200.0, 1_999.0),
            Segment::Smb => (10.0, 199.0),
        }
    }

    fn orders_per_month(self) -> f64 {
        match self {
            Segment::Enterprise => 7.0,
            Segment::MidMarket => 3.5,
            Segment::Smb => 1.6,
        }
    }

    /// How many more units an order line holds than a small customer's.
    fn order_scale(self) -> u32 {
        match self {
            Segment::Enterprise => 8,
            Segment::MidMarket => 3,
            Segment::Smb => 1,
        }
    }

    fn discount(self) -> (f64, f64) {
        match self {
            Segment::Enterprise => (0.08, 0.18),
            Segment::MidMarket => (0.03, 0.08),
            Segment::Smb => (0.0, 0.03),
        }
    }

    /// Median deal size in EUR.
    fn deal_median_eur(self) -> f64 {
        match self {
            Segment::Enterprise => 90_000.0,
            Segment::MidMarket => 25_000.0,
            Segment::Smb => 6_000.0,
        }
    }

    /// Median days from a deal's creation to its close.
    fn sales_cycle_days(self) -> f64 {
        match self {
            Segment::Enterprise => 70.0,
            Segment::MidMarket => 40.0,
            Segment::Smb => 21.0,
        }
    }
}

#[derive(Debug, Clone)]
struct Account {
    id: String,
    name: String,
    region: &'static Region,
    industry: &'static Industry,
    city: &'static str,
    segment: Segment,
    employees: u32,
    archetype: Archetype,
    created: NaiveDate,
    /// The day a fading customer places its last order at the latest.
    fades_out: Option<NaiveDate>,
    /// Per-account spread of order frequency around the segment's norm.
    appetite: f64,
    discount: f64,
}

fn plan_accounts(seed: u64, count: usize, period: Period) -> Vec<Account> {
    let mut rng = stream(seed, ACCOUNT_STREAM);
    (1..=count)
        .map(|number| plan_account(&mut rng, number, period))
        .collect()
}

fn plan_account(rng: &mut ChaCha8Rng, number: usize, period: Period) -> Account {
    let region = pick_weighted(rng, &REGIONS, |region| region.weight);
    let industry = &INDUSTRIES[rng.random_range(0..INDUSTRIES.len())];
    let segment = draw_segment(rng);
    let archetype = draw_archetype(rng);

    let stem = NAME_STEMS[rng.random_range(0..NAME_STEMS.len())];
    let word = industry.name_words[rng.random_range(0..industry.name_words.len())];
    let (low, high) = segment.employees();
    let (least_discount, most_discount) = segment.discount();

    let created = account_created(rng, archetype, period);
    let fades_out = (archetype == Archetype::Fading)
        .then(|| period.end - Duration::days(rng.random_range(45..=240)));

    Account {
        id: format!("A{number:06}"),
        name: format!("{stem} {word} {}", region.legal_form),
        region,
        industry,
        city: region.cities[rng.random_range(0..region.cities.len())],
        segment,
        employees: log_uniform(rng, low, high).round() as u32,
        archetype,
        created,
        fades_out,
        appetite: (0.4 * normal(rng)).exp(),
        discount: rng.random_range(least_discount..=most_discount),
    }
}

fn draw_segment(rng: &mut ChaCha8Rng) -> Segment {
    let roll: f64 = rng.random();
    if roll < 0.15 {
        Segment::Enterprise
    } else if roll < 0.50 {
        Segment::MidMarket
    } else {
        Segment::Smb
    }
}

fn draw_archetype(rng: &mut ChaCha8Rng) -> Archetype {
    let roll: f64 = rng.random();
    if roll < 0.15 {
        Archetype::Hot
    } else if roll < 0.35 {
        Archetype::Fading
    } else if roll < 0.85 {
        Archetype::Steady
    } else {
        Archetype::Prospect
    }
}

/// Most customers predate the history; some join during it. Fading
/// customers are always long-standing ones.
fn account_created(rng: &mut ChaCha8Rng, archetype: Archetype, period: Period) -> NaiveDate {
    let before = |rng: &mut ChaCha8Rng, most_years: i64| {
        period.start - Duration::days(rng.random_range(30..=most_years * 365))
    };
    let during = |rng: &mut ChaCha8Rng, share: f64| {
        let latest = (period.days() as f64 * share) as i64;
        period.start + Duration::days(rng.random_range(0..=latest))
    };

    match archetype {
        Archetype::Fading => before(rng, 6),
        Archetype::Hot | Archetype::Steady if rng.random_bool(0.8) => before(rng, 8),
        Archetype::Hot | Archetype::Steady => during(rng, 0.6),
        Archetype::Prospect if rng.random_bool(0.3) => before(rng, 1),
        Archetype::Prospect => during(rng, 0.9),
    }
}

fn write_accounts(out_dir: &Path, accounts: &[Account]) -> Result<Table> {
    let mut table = Table::create(
        out_dir,
        "accounts.csv",
        "account_id,name,industry,region,city,currency,created,segment,employees",
    )?;
    for account in accounts {
        table.row(&[
            &account.id,
            &account.name,
            account.industry.name,
            account.region.name,
            account.city,
            account.region.currency.code,
            &account.created.to_string(),
            account.segment.name(),
            &account.employees.to_string(),
        ])?;
    }
    Ok(table)
}

// ---------------------------------------------------------------------------
// Opportunities: one deal stream per account, written in creation order.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Open,
    Won,
    Lost,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Stage::Open => "Open",
            Stage::Won => "Won",
            Stage::Lost => "Lost",
        }
    }
}

struct Deal<'a> {
    account: &'a Account,
    product: &'static Product,
    created: NaiveDate,
    closed: Option<NaiveDate>,
    stage: Stage,
    amount_minor: i64,
    owner: &'static str,
}

fn write_opportunities(
    out_dir: &Path,
    accounts: &[Account],
    period: Period,
    seed: u64,
) -> Result<Table> {
    let mut rng = stream(seed, OPPORTUNITY_STREAM);
    let mut table = Table::create(
        out_dir,
        "opportunities.csv",
        "opportunity_id,account_id,product,stage,amount,currency,created_at,closed_at,owner",
    )?;

    let mut number = 0;
    for date in period.dates() {
        for account in accounts {
            let chance = deal_chance(account, date, period);
            if !rng.random_bool(chance) {
                continue;
            }
            number += 1;
            let deal = draw_deal(&mut rng, account, date, period);
            write_deal(&mut table, &mut rng, number, &deal)?;
        }
    }
    Ok(table)
}

/// Chance that a deal with the account is opened on this day.
fn deal_chance(account: &Account, date: NaiveDate, period: Period) -> f64 {
    if date < account.created {
        return 0.0;
    }
    let per_month = match account.archetype {
        Archetype::Hot => 1.8 * (0.8 + 0.4 * period.progress(date)),
        Archetype::Fading => 0.3 * fade(account, date),
        Archetype::Steady => match account.segment {
            Segment::Enterprise => 0.45,
            Segment::MidMarket => 0.3,
            Segment::Smb => 0.2,
        },
        Archetype::Prospect => 0.3,
    };
    let weekday = if is_weekend(date) { 0.1 } else { 1.36 };
    (per_month / 30.44 * weekday).clamp(0.0, 1.0)
}

fn draw_deal<'a>(
    rng: &mut ChaCha8Rng,
    account: &'a Account,
    created: NaiveDate,
    period: Period,
) -> Deal<'a> {
    let product = &PRODUCTS[rng.random_range(0..PRODUCTS.len())];

    // Hot accounts close faster and buy bigger.
    let (pace, boost) = match account.archetype {
        Archetype::Hot => (0.6, 1.2),
        _ => (1.0, 1.0),
    };
    let cycle = account.segment.sales_cycle_days() * pace * (0.5 * normal(rng)).exp();
    let closed = created + Duration::days(cycle.round().clamp(3.0, 270.0) as i64);

    let (stage, closed) = if closed >= period.end {
        (Stage::Open, None)
    } else if rng.random_bool(win_chance(account.archetype)) {
        (Stage::Won, Some(closed))
    } else {
        (Stage::Lost, Some(closed))
    };

    let eur = account.segment.deal_median_eur() * boost * (0.7 * normal(rng)).exp();

    Deal {
        account,
        product,
        created,
        closed,
        stage,
        amount_minor: deal_amount_minor(eur, account.region.currency),
        owner: account.region.sales_reps[rng.random_range(0..2)],
    }
}

fn win_chance(archetype: Archetype) -> f64 {
    match archetype {
        Archetype::Hot => 0.8,
        Archetype::Steady => 0.45,
        Archetype::Fading => 0.3,
        Archetype::Prospect => 0.06,
    }
}

/// A deal amount in the account's minor units, rounded the way a sales rep
/// would type it: to tens of units, or to thousands of yen.
fn deal_amount_minor(eur: f64, currency: &Currency) -> i64 {
    let units = eur / currency.eur_per_unit;
    let step = if currency.minor_digits == 0 {
        1000.0
    } else {
        10.0
    };
    let rounded = ((units / step).round() * step).max(step);
    to_minor(rounded, currency)
}

fn write_deal(table: &mut Table, rng: &mut ChaCha8Rng, number: u64, deal: &Deal) -> Result<()> {
    let currency = deal.account.region.currency;
    let mut account_id = deal.account.id.as_str();
    let mut amount = format_money(deal.amount_minor, currency);
    let mut created = deal.created.to_string();
    let closed = deal.closed.map(|date| date.to_string()).unwrap_or_default();

    if let Some(flaw) = draw_flaw(rng) {
        table.bad_rows += 1;
        match flaw {
            Flaw::Amount => amount = bad_amount(rng).to_string(),
            Flaw::Account => account_id = "",
            Flaw::Date => created = impossible_date(rng, deal.created.year()),
        }
    }

    table.row(&[
        &format!("OP-{number:06}"),
        account_id,
        deal.product.name,
        deal.stage.name(),
        &amount,
        currency.code,
        &created,
        &closed,
        deal.owner,
    ])
}

// ---------------------------------------------------------------------------
// Orders: every account's order lines, day by day, in time order.

struct Order<'a> {
    account: &'a Account,
    product: &'static Product,
    at: NaiveDateTime,
    quantity: i64,
    amount_minor: i64,
}

fn write_orders(out_dir: &Path, accounts: &[Account], period: Period, seed: u64) -> Result<Table> {
    let mut rng = stream(seed, ORDER_STREAM);
    let mut table = Table::create(
        out_dir,
        "orders.csv",
        "order_id,account_id,product,ordered_at,quantity,amount,currency",
    )?;

    let mut number = 0;
    let mut day = Vec::new();
    for date in period.dates() {
        day.clear();
        for account in accounts {
            let count = poisson(&mut rng, order_rate(account, date, period));
            for _ in 0..count {
                day.push(draw_order(&mut rng, account, date));
            }
        }

        day.sort_by_key(|order| order.at);
        for order in &day {
            number += 1;
            write_order(&mut table, &mut rng, number, order)?;
        }
    }
    Ok(table)
}

/// Expected number of order lines from the account on this day.
fn order_rate(account: &Account, date: NaiveDate, period: Period) -> f64 {
    if date < account.created {
        return 0.0;
    }
    let trend = match account.archetype {
        Archetype::Hot => 0.6 + 1.4 * period.progress(date),
        Archetype::Fading => fade(account, date),
        Archetype::Steady => 1.0,
        Archetype::Prospect => return 0.0,
    };
    let holiday = if holiday(account.region, date).is_some() {
        0.2
    } else {
        1.0
    };

    account.segment.orders_per_month() / 30.44
        * account.appetite
        * trend
        * weekday_factor(date)
        * season_factor(date)
        * holiday
}

/// Orders cluster mid-week and nearly stop at weekends.
fn weekday_factor(date: NaiveDate) -> f64 {
    match date.weekday() {
        Weekday::Mon => 1.25,
        Weekday::Tue | Weekday::Wed => 1.35,
        Weekday::Thu => 1.3,
        Weekday::Fri => 1.1,
        Weekday::Sat => 0.15,
        Weekday::Sun => 0.05,
    }
}

/// Year-end budgets are spent from mid-November; the holidays and the start
/// of the year are quiet, and so is August.
fn season_factor(date: NaiveDate) -> f64 {
    match (date.month(), date.day()) {
        (12, 24..) => 0.35,
        (1, ..=6) => 0.5,
        (11, 15..) | (12, _) => 1.5,
        (8, _) => 0.8,
        _ => 1.0,
    }
}

/// A fading customer's activity: full until 120 days before it fades out,
/// then falling linearly to nothing.
fn fade(account: &Account, date: NaiveDate) -> f64 {
    let Some(fades_out) = account.fades_out else {
        return 1.0;
    };
    let days_left = (fades_out - date).num_days() as f64;
    (days_left / 120.0).clamp(0.0, 1.0)
}

fn draw_order<'a>(rng: &mut ChaCha8Rng, account: &'a Account, date: NaiveDate) -> Order<'a> {
    let product = pick_weighted(rng, &PRODUCTS, |product| product.weight);
    let most_units = product.units * account.segment.order_scale();
    let mut quantity = i64::from(rng.random_range(1..=most_units));

    let return_share = match account.archetype {
        Archetype::Fading => 0.08,
        _ => 0.02,
    };
    if rng.random_bool(return_share) {
        quantity = -rng.random_range(1..=quantity.min(5));
    }

    Order {
        account,
        product,
        at: order_time(rng, date),
        quantity,
        amount_minor: quantity * unit_price_minor(product, account),
    }
}

/// Office hours on weekdays, peaking around midday; short days at weekends.
fn order_time(rng: &mut ChaCha8Rng, date: NaiveDate) -> NaiveDateTime {
    let hour = if is_weekend(date) {
        9 + rng.random_range(0..4) + rng.random_range(0..4)
    } else {
        7 + rng.random_range(0..6) + rng.random_range(0..6)
    };
    let seconds = hour * 3600 + rng.random_range(0..3600);
    date.and_time(NaiveTime::MIN) + Duration::seconds(seconds)
}

/// The account's price for one unit, in minor units of its currency.
fn unit_price_minor(product: &Product, account: &Account) -> i64 {
    let currency = account.region.currency;
    let eur = product.list_price_eur * (1.0 - account.discount);
    to_minor(eur / currency.eur_per_unit, currency)
}

fn write_order(table: &mut Table, rng: &mut ChaCha8Rng, number: u64, order: &Order) -> Result<()> {
    let currency = order.account.region.currency;
    let mut account_id = order.account.id.as_str();
    let mut amount = format_money(order.amount_minor, currency);
    let mut ordered_at = order.at.format("%Y-%m-%d %H:%M:%S").to_string();

    if let Some(flaw) = draw_flaw(rng) {
        table.bad_rows += 1;
        match flaw {
            Flaw::Amount => amount = bad_amount(rng).to_string(),
            Flaw::Account => account_id = "",
            Flaw::Date => {
                let day = impossible_date(rng, order.at.year());
                ordered_at = format!("{day} {}", order.at.format("%H:%M:%S"));
            }
        }
    }

    table.row(&[
        &format!("SO-{number:07}"),
        account_id,
        order.product.name,
        &ordered_at,
        &order.quantity.to_string(),
        &amount,
        currency.code,
    ])
}

// ---------------------------------------------------------------------------
// Malformed rows, planted on purpose.

#[derive(Debug, Clone, Copy)]
enum Flaw {
    Amount,
    Account,
    Date,
}

fn draw_flaw(rng: &mut ChaCha8Rng) -> Option<Flaw> {
    if !rng.random_bool(BAD_ROW_SHARE) {
        return None;
    }
    Some(match rng.random_range(0..3) {
        0 => Flaw::Amount,
        1 => Flaw::Account,
        _ => Flaw::Date,
    })
}

fn bad_amount(rng: &mut ChaCha8Rng) -> &'static str {
    const AMOUNTS: [&str; 3] = ["12,5x", "1O5.00", "tbd"];
    AMOUNTS[rng.random_range(0..AMOUNTS.len())]
}

fn impossible_date(rng: &mut ChaCha8Rng, year: i32) -> String {
    const DAYS: [(u32, u32); 4] = [(2, 30), (2, 31), (4, 31), (9, 31)];
    let (month, day) = DAYS[rng.random_range(0..DAYS.len())];
    format!("{year:04}-{month:02}-{day:02}")
}

// ---------------------------------------------------------------------------
// Reference sources: org, FX rates, holidays and market sizes.

fn write_org(out_dir: &Path) -> Result<Table> {
    let mut table = Table::create(
        out_dir,
        "org.csv",
        "region,director,success_owner,time_zone",
    )?;
    for region in &REGIONS {
        table.row(&[
            region.name,
            region.director,
            region.success_owner,
            region.time_zone,
        ])?;
    }
    Ok(table)
}

/// A mean-reverting random walk of each currency's EUR value, one row per
/// currency and TARGET business day, from a month before the history on.
fn write_fx_rates(out_dir: &Path, period: Period, seed: u64) -> Result<Table> {
    let mut rng = stream(seed, FX_STREAM);
    let mut table = Table::create(out_dir, "fx_rates.csv", "date,currency,rate")?;

    let mut logs: Vec<f64> = QUOTED
        .iter()
        .map(|currency| currency.eur_per_unit.ln() + 0.02 * normal(&mut rng))
        .collect();

    let first = period.start - Duration::days(31);
    for date in first.iter_days().take_while(|date| *date < period.end) {
        if !is_fx_business_day(date) {
            continue;
        }
        for (currency, log) in QUOTED.iter().zip(logs.iter_mut()) {
            let pull = 0.02 * (currency.eur_per_unit.ln() - *log);
            *log += pull + currency.daily_volatility * normal(&mut rng);
            let rate = format!("{:.*}", currency.rate_decimals, log.exp());
            table.row(&[&date.to_string(), currency.code, &rate])?;
        }
    }
    Ok(table)
}

fn is_fx_business_day(date: NaiveDate) -> bool {
    let closed = matches!((date.month(), date.day()), (1, 1) | (12, 25) | (12, 26));
    !is_weekend(date) && !closed
}

/// Fixed-date national holidays of every region, over the history and the
/// year after it, in date order.
fn write_holidays(out_dir: &Path, period: Period) -> Result<Table> {
    let mut table = Table::create(out_dir, "holidays.csv", "date,country,name")?;
    let last = period.end + Duration::days(365);
    for date in period.start.iter_days().take_while(|date| *date <= last) {
        for region in &REGIONS {
            if let Some(name) = holiday(region, date) {
                table.row(&[&date.to_string(), region.code, name])?;
            }
        }
    }
    Ok(table)
}

fn holiday(region: &Region, date: NaiveDate) -> Option<&'static str> {
    region
        .holidays
        .iter()
        .find(|(month, day, _)| *month == date.month() && *day == date.day())
        .map(|(_, _, name)| *name)
}

/// Market size in EUR and number of firms per region, industry and year,
/// for the six full years before the end date's year.
fn write_market(out_dir: &Path, end: NaiveDate, seed: u64) -> Result<Table> {
    let mut rng = stream(seed, MARKET_STREAM);
    let mut table = Table::create(
        out_dir,
        "market.csv",
        "region,industry,year,market_size,firms",
    )?;

    let first_year = end.year() - 6;
    for market in &MARKETS {
        for industry in &INDUSTRIES {
            let mut size = market.size_bn * 1e9 * industry.market_share;
            size *= rng.random_range(0.7..1.3);
            let growth = rng.random_range(market.growth.0..=market.growth.1);
            let spend_per_firm = 2.5e6 * rng.random_range(0.8..1.2);

            for year in first_year..end.year() {
                let firms = (size / spend_per_firm).round().max(1.0);
                table.row(&[
                    market.region,
                    industry.name,
                    &year.to_string(),
                    &format!("{size:.0}"),
                    &format!("{firms:.0}"),
                ])?;
                size *= 1.0 + growth + 0.015 * normal(&mut rng);
            }
        }
    }
    Ok(table)
}

// ---------------------------------------------------------------------------
// The config that reads it all.

const CONFIG: &str = r#"# Demo configuration: reads the generated files in this folder.

[company]
name = "Brightmoor Instruments"
time_zone = "Europe/Berlin"
base_currency = "EUR"
sales_vp = "Maren Holt"
fx_max_carry_days = 7

[model]
horizon_days = 90
training_cutoffs = 6
cutoff_step_days = 30

[signals]
high_probability_min = 85.0
high_probability_due_minutes = 30
churn_risk_max = 35.0
churn_risk_due_minutes = 2880
white_space_due_minutes = 1440

[white_space]
cells = 5
max_customers = 3
cagr_years = 3

# The holiday feed names countries by ISO code.
[regions.aliases]
DE = "Germany"
FR = "France"
GB = "United Kingdom"
US = "United States"
CN = "China"
JP = "Japan"

[sources.accounts]
path = "accounts.csv"
date_formats = ["%Y-%m-%d"]

[sources.accounts.columns]
id = "account_id"
name = "name"
industry = "industry"
region = "region"
city = "city"
currency = "currency"
created = "created"
segment = "segment"
size = "employees"

[sources.opportunities]
path = "opportunities.csv"
date_formats = ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S"]

[sources.opportunities.columns]
id = "opportunity_id"
account = "account_id"
product = "product"
stage = "stage"
amount = "amount"
currency = "currency"
created = "created_at"
closed = "closed_at"
owner = "owner"

[sources.opportunities.stages]
open = ["Open"]
won = ["Won"]
lost = ["Lost"]

# Order times are naive local times of the company's ERP in Berlin.
# Returns carry a negative quantity and amount.
[sources.orders]
path = "orders.csv"
time_zone = "Europe/Berlin"
date_formats = ["%Y-%m-%d %H:%M:%S"]

[sources.orders.columns]
id = "order_id"
account = "account_id"
product = "product"
date = "ordered_at"
quantity = "quantity"
amount = "amount"
currency = "currency"

[sources.org]
path = "org.csv"

[sources.org.columns]
region = "region"
director = "director"
success_owner = "success_owner"
time_zone = "time_zone"

# Rates are the value of one unit of the currency in EUR.
[sources.fx_rates]
path = "fx_rates.csv"
date_formats = ["%Y-%m-%d"]

[sources.fx_rates.columns]
date = "date"
currency = "currency"
rate = "rate"

[sources.holidays]
path = "holidays.csv"
date_formats = ["%Y-%m-%d"]

[sources.holidays.columns]
date = "date"
region = "country"
name = "name"

[sources.market]
path = "market.csv"
currency = "EUR"

[sources.market.columns]
region = "region"
industry = "industry"
year = "year"
market_size = "market_size"
firms = "firms"
"#;

fn write_config(path: &Path) -> Result<()> {
    std::fs::write(path, CONFIG).with_context(|| format!("cannot write config {}", path.display()))
}

// ---------------------------------------------------------------------------
// Writing CSV files and drawing random values.

/// One CSV file being written, with its counts of data rows.
struct Table {
    name: &'static str,
    path: PathBuf,
    writer: csv::Writer<File>,
    rows: u64,
    bad_rows: u64,
}

impl Table {
    /// Creates the file and writes its header, given as one CSV line.
    fn create(out_dir: &Path, name: &'static str, header: &str) -> Result<Table> {
        let path = out_dir.join(name);
        let writer = csv::Writer::from_path(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let mut table = Table {
            name,
            path,
            writer,
            rows: 0,
            bad_rows: 0,
        };
        let columns: Vec<&str> = header.split(',').collect();
        table.write(&columns)?;
        Ok(table)
    }

    fn row(&mut self, fields: &[&str]) -> Result<()> {
        self.write(fields)?;
        self.rows += 1;
        Ok(())
    }

    fn write(&mut self, fields: &[&str]) -> Result<()> {
        self.writer
            .write_record(fields)
            .with_context(|| format!("cannot write to {}", self.path.display()))
    }

    fn finish(mut self, summary: &mut GenerateSummary) -> Result<()> {
        self.writer
            .flush()
            .with_context(|| format!("cannot finish writing {}", self.path.display()))?;
        summary.files.push((self.name.to_string(), self.rows));
        summary.bad_rows += self.bad_rows;
        Ok(())
    }
}

fn format_money(minor: i64, currency: &Currency) -> String {
    if currency.minor_digits == 0 {
        return minor.to_string();
    }
    let scale = 10u64.pow(currency.minor_digits);
    let sign = if minor < 0 { "-" } else { "" };
    let units = minor.unsigned_abs();
    let width = currency.minor_digits as usize;
    format!("{sign}{}.{:0width$}", units / scale, units % scale)
}

fn to_minor(amount: f64, currency: &Currency) -> i64 {
    (amount * 10f64.powi(currency.minor_digits as i32)).round() as i64
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u: f64 = 1.0 - rng.random::<f64>();
    let v: f64 = rng.random();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// A Poisson draw by counting uniform products; fine for small means.
fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    let limit = (-mean).exp();
    let mut product: f64 = rng.random();
    let mut count = 0;
    while product > limit {
        count += 1;
        product *= rng.random::<f64>();
    }
    count
}

fn log_uniform(rng: &mut ChaCha8Rng, low: f64, high: f64) -> f64 {
    rng.random_range(low.ln()..=high.ln()).exp()
}

fn pick_weighted<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T], weight: impl Fn(&T) -> f64) -> &'a T {
    let total: f64 = items.iter().map(&weight).sum();
    let mut roll = rng.random::<f64>() * total;
    for item in items {
        roll -= weight(item);
        if roll < 0.0 {
            return item;
        }
    }
    &items[items.len() - 1]
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use csv::StringRecord;

    use super::*;

    const SOURCES: [&str; 7] = [
        "accounts",
        "fx_rates",
        "holidays",
        "market",
        "opportunities",
        "orders",
        "org",
    ];

    fn end() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
    }

    fn small(seed: u64) -> GenerateOptions {
        GenerateOptions {
            accounts: 120,
            days: 400,
            seed,
            end: end(),
        }
    }

    fn full(seed: u64) -> GenerateOptions {
        GenerateOptions {
            accounts: 400,
            days: 730,
            seed,
            end: end(),
        }
    }

    fn demo(opts: &GenerateOptions) -> (tempfile::TempDir, GenerateSummary) {
        let dir = tempfile::tempdir().unwrap();
        let summary = generate(opts, dir.path()).unwrap();
        (dir, summary)
    }

    /// Every file in the folder, by name.
    fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&path).unwrap())
            })
            .collect()
    }

    struct Rows {
        header: StringRecord,
        records: Vec<StringRecord>,
    }

    impl Rows {
        fn read(dir: &Path, name: &str) -> Rows {
            let mut reader = csv::Reader::from_path(dir.join(name)).unwrap();
            let header = reader.headers().unwrap().clone();
            let records = reader.records().map(Result::unwrap).collect();
            Rows { header, records }
        }

        fn column(&self, name: &str) -> usize {
            self.header.iter().position(|h| h == name).unwrap()
        }

        fn values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
            let at = self.column(name);
            self.records.iter().map(move |record| &record[at])
        }
    }

    fn day(text: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
    }

    fn moment(text: &str) -> Option<NaiveDateTime> {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok()
    }

    fn malformed_order(rows: &Rows, record: &StringRecord) -> bool {
        let field = |name: &str| &record[rows.column(name)];
        field("account_id").is_empty()
            || field("amount").parse::<f64>().is_err()
            || field("quantity").parse::<i64>().is_err()
            || moment(field("ordered_at")).is_none()
    }

    fn malformed_deal(rows: &Rows, record: &StringRecord) -> bool {
        let field = |name: &str| &record[rows.column(name)];
        let closed = field("closed_at");
        field("account_id").is_empty()
            || field("amount").parse::<f64>().is_err()
            || day(field("created_at")).is_none()
            || (!closed.is_empty() && day(closed).is_none())
    }

    /// Archetype of every account id, as planted for these options.
    fn archetypes(opts: &GenerateOptions) -> BTreeMap<String, Archetype> {
        let period = Period::new(opts).unwrap();
        plan_accounts(opts.seed, opts.accounts, period)
            .into_iter()
            .map(|account| (account.id, account.archetype))
            .collect()
    }

    #[test]
    fn same_seed_gives_identical_files() {
        let (first, _) = demo(&small(11));
        let (second, _) = demo(&small(11));
        let first = contents(first.path());
        assert_eq!(first.len(), 8);
        assert_eq!(first, contents(second.path()));
    }

    #[test]
    fn different_seed_changes_orders() {
        let (first, _) = demo(&small(11));
        let (second, _) = demo(&small(12));
        let orders = |dir: &tempfile::TempDir| std::fs::read(dir.path().join("orders.csv"));
        assert_ne!(orders(&first).unwrap(), orders(&second).unwrap());
    }

    #[test]
    fn summary_counts_match_data_lines() {
        let (dir, summary) = demo(&small(5));
        let names: Vec<&str> = summary
            .files
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "accounts.csv",
                "opportunities.csv",
                "orders.csv",
                "org.csv",
                "fx_rates.csv",
                "holidays.csv",
                "market.csv",
            ]
        );
        for (name, rows) in &summary.files {
            let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
            assert!(text.ends_with('\n'), "{name} ends mid-line");
            let lines = text.lines().count() as u64;
            assert_eq!(lines - 1, *rows, "{name}");
            assert_eq!(
                Rows::read(dir.path(), name).records.len() as u64,
                *rows,
                "{name}"
            );
            assert!(*rows > 0, "{name} is empty");
        }
        assert_eq!(summary.files[0].1, 120);
        assert_eq!(summary.config_path, dir.path().join("radar.toml"));
    }

    #[test]
    fn no_event_falls_outside_the_history() {
        let opts = small(9);
        let (dir, _) = demo(&opts);
        let start = end() - Duration::days(opts.days);
        let within = |date: NaiveDate| start <= date && date < end();

        let accounts = Rows::read(dir.path(), "accounts.csv");
        assert!(accounts.values("created").all(|v| day(v).unwrap() < end()));

        let deals = Rows::read(dir.path(), "opportunities.csv");
        let deal_days = deals.values("created_at").chain(deals.values("closed_at"));
        assert!(deal_days.filter_map(day).all(within));

        let orders = Rows::read(dir.path(), "orders.csv");
        let order_days: Vec<NaiveDate> = orders
            .values("ordered_at")
            .filter_map(moment)
            .map(|at| at.date())
            .collect();
        assert!(order_days.iter().copied().all(within));
        assert!(order_days
            .iter()
            .any(|date| *date >= end() - Duration::days(7)));

        let rates = Rows::read(dir.path(), "fx_rates.csv");
        assert!(rates.values("date").all(|v| day(v).unwrap() < end()));
    }

    #[test]
    fn bad_rows_are_the_malformed_rows() {
        let (dir, summary) = demo(&full(7));
        let orders = Rows::read(dir.path(), "orders.csv");
        let deals = Rows::read(dir.path(), "opportunities.csv");

        let bad_orders: Vec<&StringRecord> = orders
            .records
            .iter()
            .filter(|r| malformed_order(&orders, r))
            .collect();
        let bad_deals: Vec<&StringRecord> = deals
            .records
            .iter()
            .filter(|r| malformed_deal(&deals, r))
            .collect();
        assert_eq!(
            (bad_orders.len() + bad_deals.len()) as u64,
            summary.bad_rows
        );

        let share = summary.bad_rows as f64 / (orders.records.len() + deals.records.len()) as f64;
        assert!((0.002..0.01).contains(&share), "bad share {share}");

        let (amount, account) = (orders.column("amount"), orders.column("account_id"));
        assert!(bad_orders.iter().any(|r| r[amount].parse::<f64>().is_err()));
        assert!(bad_orders.iter().any(|r| r[account].is_empty()));
        assert!(bad_orders
            .iter()
            .any(|r| moment(&r[orders.column("ordered_at")]).is_none()));
    }

    #[test]
    fn order_amounts_are_quantity_times_price() {
        let (dir, _) = demo(&small(4));
        let orders = Rows::read(dir.path(), "orders.csv");
        let mut returns = 0;
        for record in orders
            .records
            .iter()
            .filter(|r| !malformed_order(&orders, r))
        {
            let quantity: i64 = record[orders.column("quantity")].parse().unwrap();
            let amount: f64 = record[orders.column("amount")].parse().unwrap();
            assert_ne!(quantity, 0);
            assert_eq!(quantity < 0, amount < 0.0, "{record:?}");
            returns += u32::from(quantity < 0);
        }
        assert!(returns > 0);
    }

    #[test]
    fn config_names_every_source_and_its_columns() {
        let (dir, summary) = demo(&small(3));
        let text = std::fs::read_to_string(&summary.config_path).unwrap();
        let config: toml::Table = text.parse().unwrap();

        for table in [
            "company",
            "model",
            "signals",
            "white_space",
            "regions",
            "sources",
        ] {
            assert!(config[table].is_table(), "missing [{table}]");
        }
        assert_eq!(
            config["company"]["time_zone"].as_str(),
            Some("Europe/Berlin")
        );
        assert_eq!(config["company"]["base_currency"].as_str(), Some("EUR"));
        assert!(config["company"]["sales_vp"].is_str());
        assert_eq!(config["model"]["horizon_days"].as_integer(), Some(90));
        assert_eq!(config["model"]["training_cutoffs"].as_integer(), Some(6));
        assert_eq!(config["model"]["cutoff_step_days"].as_integer(), Some(30));

        let sources = config["sources"].as_table().unwrap();
        let kinds: Vec<&str> = sources.keys().map(String::as_str).collect();
        assert_eq!(kinds, SOURCES);
        for (kind, source) in sources {
            let file = source["path"].as_str().unwrap();
            let header = Rows::read(dir.path(), file).header;
            let columns = source["columns"].as_table().unwrap();
            assert!(!columns.is_empty(), "{kind} maps no column");
            for (field, column) in columns {
                let column = column.as_str().unwrap();
                assert!(
                    header.iter().any(|h| h == column),
                    "{kind}.{field} -> {column}"
                );
            }
        }

        let stages = &sources["opportunities"]["stages"];
        let known: BTreeSet<&str> = ["open", "won", "lost"]
            .iter()
            .flat_map(|kind| stages[*kind].as_array().unwrap())
            .map(|value| value.as_str().unwrap())
            .collect();
        let deals = Rows::read(dir.path(), "opportunities.csv");
        assert!(deals.values("stage").all(|stage| known.contains(stage)));

        let aliases = config["regions"]["aliases"].as_table().unwrap();
        let holidays = Rows::read(dir.path(), "holidays.csv");
        assert!(holidays
            .values("country")
            .all(|code| aliases.contains_key(code)));
    }

    #[test]
    fn config_is_accepted_by_the_loader() {
        let (_dir, summary) = demo(&small(3));
        let config = crate::config::Config::load(&summary.config_path).unwrap();
        assert_eq!(config.sources.len(), SOURCES.len());
        assert_eq!(config.company.base_currency, "EUR");
    }

    #[test]
    fn planted_archetypes_show_in_the_data() {
        let opts = full(7);
        let (dir, _) = demo(&opts);
        let planted = archetypes(&opts);
        let share = |kind| planted.values().filter(|a| **a == kind).count() as f64 / 400.0;
        assert!((0.08..0.22).contains(&share(Archetype::Hot)));
        assert!((0.12..0.28).contains(&share(Archetype::Fading)));
        assert!((0.08..0.22).contains(&share(Archetype::Prospect)));

        let deals = Rows::read(dir.path(), "opportunities.csv");
        let (account, stage) = (deals.column("account_id"), deals.column("stage"));
        let mut win_months: BTreeMap<&str, BTreeSet<(i32, u32)>> = BTreeMap::new();
        let (mut prospect_won, mut prospect_closed) = (0, 0);
        for record in deals.records.iter().filter(|r| !malformed_deal(&deals, r)) {
            let kind = planted[&record[account]];
            let Some(closed) = day(&record[deals.column("closed_at")]) else {
                continue;
            };
            let won = &record[stage] == "Won";
            if won {
                let months = win_months.entry(&record[account]).or_default();
                months.insert((closed.year(), closed.month()));
            }
            if kind == Archetype::Prospect {
                prospect_closed += 1;
                prospect_won += u32::from(won);
            }
        }
        assert!(f64::from(prospect_won) < 0.15 * f64::from(prospect_closed));

        // Hot accounts win in most of the last twelve full months.
        let last_year: BTreeSet<(i32, u32)> = (1..=12)
            .map(|back| {
                let date = end() - Duration::days(30 * back);
                (date.year(), date.month())
            })
            .collect();
        let hot: Vec<&String> = planted
            .iter()
            .filter(|(_, kind)| **kind == Archetype::Hot)
            .map(|(id, _)| id)
            .collect();
        let active_months = |id: &str| {
            win_months
                .get(id)
                .map_or(0, |months| months.intersection(&last_year).count())
        };
        let hot_share = hot.iter().map(|id| active_months(id)).sum::<usize>() as f64
            / (hot.len() * last_year.len()) as f64;
        assert!(hot_share > 0.6, "hot accounts win in {hot_share} of months");

        let orders = Rows::read(dir.path(), "orders.csv");
        let quiet_since = end() - Duration::days(45);
        let mut ordering = BTreeSet::new();
        for record in orders
            .records
            .iter()
            .filter(|r| !malformed_order(&orders, r))
        {
            let id = &record[orders.column("account_id")];
            let at = moment(&record[orders.column("ordered_at")]).unwrap();
            match planted[id] {
                Archetype::Prospect => panic!("prospect {id} ordered"),
                Archetype::Fading => assert!(at.date() < quiet_since, "{id} ordered at {at}"),
                _ => {}
            }
            ordering.insert(id);
        }
        let fading = planted
            .values()
            .filter(|a| **a == Archetype::Fading)
            .count();
        let fading_ordered = planted
            .iter()
            .filter(|(id, kind)| **kind == Archetype::Fading && ordering.contains(id.as_str()))
            .count();
        assert!(fading_ordered as f64 > 0.8 * fading as f64);
    }

    #[test]
    fn orders_follow_the_week_and_the_year_end() {
        let opts = full(7);
        let (dir, _) = demo(&opts);
        let orders = Rows::read(dir.path(), "orders.csv");
        let dates: Vec<NaiveDate> = orders
            .values("ordered_at")
            .filter_map(moment)
            .map(|at| at.date())
            .collect();

        let period = Period::new(&opts).unwrap();
        let per_day = |keep: &dyn Fn(NaiveDate) -> bool| {
            let days = period.dates().filter(|d| keep(*d)).count() as f64;
            dates.iter().filter(|d| keep(**d)).count() as f64 / days
        };
        let weekdays = per_day(&|d| !is_weekend(d));
        let weekends = per_day(&|d| is_weekend(d));
        assert!(weekdays > 5.0 * weekends, "{weekdays} vs {weekends}");

        let year_end = |d: NaiveDate| matches!((d.month(), d.day()), (11, 15..) | (12, ..=20));
        let busy = per_day(&|d| year_end(d) && !is_weekend(d));
        let usual = per_day(&|d| !year_end(d) && !is_weekend(d));
        assert!(busy > 1.2 * usual, "{busy} vs {usual}");
    }

    #[test]
    fn fx_rates_cover_every_business_day_near_their_level() {
        let opts = small(2);
        let (dir, _) = demo(&opts);
        let rates = Rows::read(dir.path(), "fx_rates.csv");
        let mut days: BTreeMap<NaiveDate, usize> = BTreeMap::new();
        for record in &rates.records {
            let date = day(&record[rates.column("date")]).unwrap();
            let code = &record[rates.column("currency")];
            let rate: f64 = record[rates.column("rate")].parse().unwrap();
            let level = QUOTED.iter().find(|c| c.code == code).unwrap().eur_per_unit;
            assert!(
                (0.75..1.33).contains(&(rate / level)),
                "{code} {rate} on {date}"
            );
            *days.entry(date).or_default() += 1;
        }
        let period = Period::new(&opts).unwrap();
        for date in period.dates().filter(|d| is_fx_business_day(*d)) {
            assert_eq!(days.get(&date), Some(&QUOTED.len()), "{date}");
        }
        assert!(days.keys().all(|date| is_fx_business_day(*date)));
    }

    #[test]
    fn market_holds_regions_without_accounts() {
        let (dir, _) = demo(&small(8));
        let market = Rows::read(dir.path(), "market.csv");
        let accounts = Rows::read(dir.path(), "accounts.csv");
        let served: BTreeSet<&str> = accounts.values("region").collect();
        for region in ["Brazil", "India", "Canada"] {
            assert!(!served.contains(region));
            assert_eq!(
                market.values("region").filter(|r| *r == region).count(),
                5 * 6
            );
        }
        let years: BTreeSet<i32> = market.values("year").map(|y| y.parse().unwrap()).collect();
        assert_eq!(years, (2019..=2024).collect());
        assert_eq!(market.records.len(), MARKETS.len() * INDUSTRIES.len() * 6);
    }

    #[test]
    fn org_leaves_one_director_vacant() {
        let (dir, _) = demo(&small(8));
        let org = Rows::read(dir.path(), "org.csv");
        assert_eq!(org.records.len(), REGIONS.len());
        assert_eq!(org.values("director").filter(|d| d.is_empty()).count(), 1);
        assert!(org.values("time_zone").all(|zone| zone.contains('/')));
    }

    #[test]
    fn empty_history_is_refused() {
        let opts = GenerateOptions {
            days: 0,
            ..small(1)
        };
        let dir = tempfile::tempdir().unwrap();
        let error = generate(&opts, dir.path()).unwrap_err();
        assert!(error.to_string().contains("at least one day"), "{error}");
    }
}
