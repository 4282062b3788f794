//! Accounts: who they are, the behaviour planted in each (which the
//! scores should recover) and the accounts file.
//!
//! An account is planned from its own random stream, keyed by its number,
//! so every other file can plan it again on the fly instead of keeping a
//! list of all accounts in memory.

use anyhow::Result;
use chrono::{Duration, NaiveDate};
use rand::Rng;
use serde::Serialize;

use super::calendar::Period;
use super::random::{keyed, log_uniform, normal, pick, pick_weighted, Draws};
use super::table::Table;
use super::world::{
    Industry, Region, CN_CITIES, CN_INDUSTRY_WORDS, CN_LEGAL_FORM, CN_STEMS, INDUSTRIES,
    NAME_STEMS, REGIONS,
};
use super::{Flaws, Plan, ACCOUNT_STREAM};
use crate::contract::SourceKind;

/// The behaviour planted in an account, which the scores should recover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Archetype {
    /// Wins a deal nearly every month; orders rise over the period.
    Hot,
    /// A customer whose orders taper and (mostly) stop some months before
    /// the end.
    Fading,
    Steady,
    /// Never ordered; deals mostly lost.
    Prospect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    Enterprise,
    MidMarket,
    Smb,
}

impl Segment {
    pub fn name(self) -> &'static str {
        match self {
            Segment::Enterprise => "enterprise",
            Segment::MidMarket => "mid-market",
            Segment::Smb => "smb",
        }
    }

    pub fn employees(self) -> (f64, f64) {
        match self {
            Segment::Enterprise => (2_000.0, 40_000.0),
            Segment::MidMarket => (200.0, 1_999.0),
            Segment::Smb => (10.0, 199.0),
        }
    }

    pub fn orders_per_month(self) -> f64 {
        match self {
            Segment::Enterprise => 7.0,
            Segment::MidMarket => 3.5,
            Segment::Smb => 1.6,
        }
    }

    /// How many more units an order line holds than a small customer's.
    pub fn order_scale(self) -> u32 {
        match self {
            Segment::Enterprise => 8,
            Segment::MidMarket => 3,
            Segment::Smb => 1,
        }
    }

    pub fn discount(self) -> (f64, f64) {
        match self {
            Segment::Enterprise => (0.08, 0.18),
            Segment::MidMarket => (0.03, 0.08),
            Segment::Smb => (0.0, 0.03),
        }
    }

    /// Median deal size in EUR.
    pub fn deal_median_eur(self) -> f64 {
        match self {
            Segment::Enterprise => 90_000.0,
            Segment::MidMarket => 25_000.0,
            Segment::Smb => 6_000.0,
        }
    }

    /// Median days from a deal's creation to its close.
    pub fn sales_cycle_days(self) -> f64 {
        match self {
            Segment::Enterprise => 70.0,
            Segment::MidMarket => 40.0,
            Segment::Smb => 21.0,
        }
    }
}

/// Accounts whose behaviour is fixed, so a run over the generated data can
/// be checked against what it should find.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Plant {
    /// Wins nearly every month and shows rising buying intent: should
    /// raise high_probability, not churn_risk.
    Rising,
    /// A customer going quiet with severe complaints and open tickets:
    /// should raise churn_risk, not high_probability.
    Leaving,
    /// A healthy customer ordering steadily: should not raise churn_risk.
    Loyal,
    /// A prospect with no activity: should raise neither signal.
    Dormant,
}

/// How many accounts of each planted kind, taking the first numbers.
pub const PLANTED_EACH: usize = 3;
pub const PLANTS: [Plant; 4] = [Plant::Rising, Plant::Leaving, Plant::Loyal, Plant::Dormant];

pub fn plant_of(number: u64) -> Option<Plant> {
    let index = (number as usize).checked_sub(1)? / PLANTED_EACH;
    PLANTS.get(index).copied()
}

#[derive(Debug, Clone)]
pub struct Account {
    pub number: u64,
    pub id: String,
    pub name: String,
    pub region: &'static Region,
    pub industry: &'static Industry,
    pub city: &'static str,
    pub segment: Segment,
    pub employees: u32,
    pub archetype: Archetype,
    pub plant: Option<Plant>,
    pub created: NaiveDate,
    /// The day a fading customer's orders have tapered to their least.
    pub fades_out: Option<NaiveDate>,
    /// The share of its old ordering a fading customer keeps after it
    /// fades out: 0 for most, a trickle for some.
    pub residual: f64,
    /// How sour a fading customer gets as it goes (0 to 1): some leave
    /// without a word, others complain loudly first.
    pub sourness: f64,
    /// A staying customer's discontent (0 to 1) during a sour spell, from
    /// the first day to before the second: some complain and rate service
    /// low for a while, yet keep buying.
    pub grumble: f64,
    pub sour_spell: Option<(NaiveDate, NaiveDate)>,
    /// Days a staying customer orders next to nothing (a project paused,
    /// stock built up), from the first day to before the second.
    pub pause: Option<(NaiveDate, NaiveDate)>,
    /// Per-account spread of order frequency around the segment's norm.
    pub appetite: f64,
    /// How much the account browses our site and talks about us.
    pub attention: f64,
    pub discount: f64,
}

pub fn account_id(number: u64) -> String {
    format!("A{number:06}")
}

impl Account {
    pub fn plan(seed: u64, number: u64, period: Period) -> Account {
        let mut rng = keyed(seed, ACCOUNT_STREAM, number);
        let plant = plant_of(number);
        let region = pick_weighted(&mut rng, &REGIONS, |region| region.weight);
        let industry = pick(&mut rng, &INDUSTRIES);
        let segment = match plant {
            Some(Plant::Rising | Plant::Loyal) => Segment::Enterprise,
            Some(Plant::Leaving) => Segment::MidMarket,
            _ => draw_segment(&mut rng),
        };
        let archetype = match plant {
            Some(Plant::Rising) => Archetype::Hot,
            Some(Plant::Leaving) => Archetype::Fading,
            Some(Plant::Loyal) => Archetype::Steady,
            Some(Plant::Dormant) => Archetype::Prospect,
            None => draw_archetype(&mut rng),
        };

        let (name, city) = company_name(&mut rng, region, industry);
        let (low, high) = segment.employees();
        let (least_discount, most_discount) = segment.discount();
        let created = match plant {
            Some(Plant::Dormant) => period.start - Duration::days(200),
            Some(_) => period.start - Duration::days(2_000),
            None => account_created(&mut rng, archetype, period),
        };
        let fades_out = match (plant, archetype) {
            // Gone well past a usual pause, so the planted leavers are
            // unmistakable even beside unplanted customers who pause.
            (Some(Plant::Leaving), _) => Some(period.end - Duration::days(240)),
            (_, Archetype::Fading) => Some(period.end - Duration::days(rng.random_range(45..=240))),
            _ => None,
        };
        let spread = (0.4 * normal(&mut rng)).exp();
        let appetite = match plant {
            Some(Plant::Rising | Plant::Loyal) => 1.3,
            _ => spread,
        };
        let attention = match plant {
            Some(Plant::Dormant) => 0.0,
            Some(Plant::Rising) => 1.5,
            _ => (0.5 * normal(&mut rng)).exp(),
        };
        let employees = log_uniform(&mut rng, low, high).round() as u32;
        let discount = rng.random_range(least_discount..=most_discount);
        let noise = match plant {
            Some(_) => Noise::NONE,
            None => Noise::draw(&mut rng, archetype, period),
        };

        Account {
            number,
            id: account_id(number),
            name,
            region,
            industry,
            city,
            segment,
            employees,
            archetype,
            plant,
            created,
            fades_out,
            residual: noise.residual,
            sourness: noise.sourness,
            grumble: noise.grumble,
            sour_spell: noise.sour_spell,
            pause: noise.pause,
            appetite,
            attention,
            discount,
        }
    }

    pub fn is_china(&self) -> bool {
        self.region.code == "CN"
    }

    /// A fading customer's activity: full until 120 days before it fades
    /// out, then falling linearly to its residual share.
    pub fn fade(&self, date: NaiveDate) -> f64 {
        let Some(fades_out) = self.fades_out else {
            return 1.0;
        };
        let days_left = (fades_out - date).num_days() as f64;
        (days_left / 120.0).clamp(0.0, 1.0).max(self.residual)
    }

    /// How unhappy a customer is on a day, from 0 (content) to 1: fading
    /// customers sour as they go, as far as their sourness takes them, and
    /// stay a little sour a while; staying ones keep their grumble.
    pub fn discontent(&self, date: NaiveDate) -> f64 {
        let Some(fades_out) = self.fades_out else {
            return if within(self.sour_spell, date) {
                self.grumble
            } else {
                0.0
            };
        };
        let souring = if date > fades_out + Duration::days(60) {
            0.3
        } else {
            let days_left = (fades_out - date).num_days() as f64;
            1.0 - (days_left / 120.0).clamp(0.0, 1.0)
        };
        souring * self.sourness
    }

    /// Whether a staying customer has paused its orders on this day.
    pub fn paused(&self, date: NaiveDate) -> bool {
        within(self.pause, date)
    }

    /// Whether the account buys from us at all.
    pub fn is_customer(&self) -> bool {
        self.archetype != Archetype::Prospect
    }
}

fn within(days: Option<(NaiveDate, NaiveDate)>, date: NaiveDate) -> bool {
    days.is_some_and(|(from, until)| from <= date && date < until)
}

/// What keeps an account's churn from being read off a single number: a
/// trickle of orders after fading out, exits with and without complaints,
/// grumbling customers who stay, and pauses that are not exits.
struct Noise {
    residual: f64,
    sourness: f64,
    grumble: f64,
    sour_spell: Option<(NaiveDate, NaiveDate)>,
    pause: Option<(NaiveDate, NaiveDate)>,
}

impl Noise {
    /// The planted accounts' clean behaviour: a leaving one stops for good
    /// and sours all the way, a loyal one never pauses or grumbles.
    const NONE: Noise = Noise {
        residual: 0.0,
        sourness: 1.0,
        grumble: 0.0,
        sour_spell: None,
        pause: None,
    };

    /// Drawn after every other draw of the account, so an account keeps
    /// the name, segment and dates it had without this noise.
    fn draw(rng: &mut Draws, archetype: Archetype, period: Period) -> Noise {
        let residual = if rng.random_bool(0.35) {
            rng.random_range(0.05..0.25)
        } else {
            0.0
        };
        let sourness = rng.random_range(0.1..1.0);
        let grumble = rng.random_range(0.2..0.6);
        let spell = |rng: &mut Draws, share: f64, days: (i64, i64)| {
            let length = rng.random_range(days.0..=days.1);
            let from = period.start + Duration::days(rng.random_range(0..period.days().max(1)));
            rng.random_bool(share)
                .then(|| (from, from + Duration::days(length)))
        };
        let sour_spell = spell(rng, 0.2, (60, 180));
        let pause = spell(rng, 0.15, (45, 120));

        match archetype {
            Archetype::Fading => Noise {
                residual,
                sourness,
                ..Noise::NONE
            },
            Archetype::Steady => Noise {
                grumble,
                sour_spell,
                pause,
                ..Noise::NONE
            },
            Archetype::Hot => Noise {
                grumble,
                sour_spell,
                ..Noise::NONE
            },
            Archetype::Prospect => Noise::NONE,
        }
    }
}

/// A company name and city in the region's language.
fn company_name(
    rng: &mut Draws,
    region: &'static Region,
    industry: &'static Industry,
) -> (String, &'static str) {
    if region.code == "CN" {
        let stem = pick(rng, &CN_STEMS);
        let industry_at = INDUSTRIES
            .iter()
            .position(|i| i.name == industry.name)
            .unwrap_or(0);
        let word = pick(rng, &CN_INDUSTRY_WORDS[industry_at]);
        let city = pick(rng, &CN_CITIES);
        return (format!("{stem}{word}{CN_LEGAL_FORM}"), city);
    }
    let stem = pick(rng, &NAME_STEMS);
    let word = pick(rng, &industry.name_words);
    let city = pick(rng, &region.cities);
    (format!("{stem} {word} {}", region.legal_form), city)
}

pub fn draw_segment(rng: &mut Draws) -> Segment {
    let roll: f64 = rng.random();
    if roll < 0.15 {
        Segment::Enterprise
    } else if roll < 0.50 {
        Segment::MidMarket
    } else {
        Segment::Smb
    }
}

fn draw_archetype(rng: &mut Draws) -> Archetype {
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
fn account_created(rng: &mut Draws, archetype: Archetype, period: Period) -> NaiveDate {
    let before = |rng: &mut Draws, most_years: i64| {
        period.start - Duration::days(rng.random_range(30..=most_years * 365))
    };
    let during = |rng: &mut Draws, share: f64| {
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

pub const ACCOUNT_COLUMNS: [&str; 10] = [
    "account_id",
    "name",
    "industry",
    "region",
    "city",
    "country",
    "currency",
    "created",
    "segment",
    "employees",
];

/// One row per account, then the planted bad rows: extra rows that are
/// refused on their own (a blank id, a day that does not exist, a head
/// count that is not a number), so no real account is lost with them.
pub fn write_accounts(plan: &Plan) -> Result<Table> {
    let mut table = plan.table(SourceKind::Accounts, "accounts.csv", &ACCOUNT_COLUMNS)?;
    for number in 1..=plan.accounts {
        let account = Account::plan(plan.seed, number, plan.period);
        table.row(&[
            &account.id,
            &account.name,
            account.industry.name,
            account.region.name,
            account.city,
            account.region.code,
            account.region.currency.code,
            &account.created.to_string(),
            account.segment.name(),
            &account.employees.to_string(),
        ])?;
    }

    let mut rng = keyed(plan.seed, ACCOUNT_STREAM, 0);
    for extra in 1..=plan.flaws.extra_rows(plan.accounts) {
        let row = bad_account(&mut rng, extra, plan.period.start);
        let row: Vec<&str> = row.iter().map(String::as_str).collect();
        table.bad_row(&row)?;
    }
    Ok(table)
}

/// An extra accounts row that ingest refuses for one reason of three.
fn bad_account(rng: &mut Draws, extra: u64, start: NaiveDate) -> Vec<String> {
    let mut id = format!("X{extra:06}");
    let mut created = start.to_string();
    let mut employees = "12".to_string();
    match extra % 3 {
        1 => id.clear(),
        2 => created = Flaws::impossible_date(rng, start),
        _ => employees = Flaws::bad_number(rng).to_string(),
    }
    let head = [
        "Unnamed Holdings",
        "retail",
        "Germany",
        "Altbrunn",
        "DE",
        "EUR",
    ];
    let mut row = vec![id];
    row.extend(head.iter().map(|cell| cell.to_string()));
    row.extend([created, "smb".to_string(), employees]);
    row
}
