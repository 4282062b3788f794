//! The shape of the generated data: the rhythm of the week and the year,
//! the signal planted in each archetype, time zones, currencies and names.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate};
use csv::StringRecord;

use super::accounts::{Account, Archetype, Plant};
use super::calendar::{is_fx_business_day, is_weekend, Period};
use super::world::QUOTED;
use super::*;

fn end() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
}

fn options(accounts: u64, days: i64, seed: u64) -> GenerateOptions {
    GenerateOptions {
        accounts,
        days,
        seed,
        end: end(),
        bad_share: 0.0,
        encoding: FileEncoding::Utf8,
    }
}

fn demo(opts: &GenerateOptions) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    generate(opts, dir.path()).unwrap();
    dir
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

fn moment(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).unwrap()
}

fn archetypes(opts: &GenerateOptions) -> BTreeMap<String, Account> {
    let period = Period::new(opts.days, opts.end).unwrap();
    (1..=opts.accounts)
        .map(|n| Account::plan(opts.seed, n, period))
        .map(|account| (account.id.clone(), account))
        .collect()
}

#[test]
fn orders_follow_the_week_and_the_year_end() {
    let opts = options(400, 730, 7);
    let dir = demo(&opts);
    let orders = Rows::read(dir.path(), "orders.csv");
    let dates: Vec<NaiveDate> = orders
        .values("ordered_at")
        .map(|v| NaiveDate::parse_from_str(&v[..10], "%Y-%m-%d").unwrap())
        .collect();

    let period = Period::new(opts.days, opts.end).unwrap();
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
fn hot_accounts_look_at_prices_and_fading_ones_complain() {
    let opts = options(400, 730, 7);
    let dir = demo(&opts);
    let accounts = archetypes(&opts);
    let recent = |text: &str| moment(text).date_naive() >= end() - Duration::days(60);
    let count = |archetype: Archetype| {
        accounts
            .values()
            .filter(|a| a.archetype == archetype)
            .count()
    };

    let web = Rows::read(dir.path(), "web_events.csv");
    let mut pricing: BTreeMap<Archetype, f64> = BTreeMap::new();
    for record in &web.records {
        let kind = &record[web.column("event")];
        if (kind == "pricing" || kind == "demo") && recent(&record[web.column("event_time")]) {
            let archetype = accounts[&record[web.column("account_id")]].archetype;
            *pricing.entry(archetype).or_default() += 1.0;
        }
    }
    let per_account = |a: Archetype, counts: &BTreeMap<Archetype, f64>| {
        counts.get(&a).copied().unwrap_or(0.0) / count(a) as f64
    };
    let hot = per_account(Archetype::Hot, &pricing);
    let steady = per_account(Archetype::Steady, &pricing);
    let fading = per_account(Archetype::Fading, &pricing);
    assert!(hot > 4.0 * steady, "hot {hot} vs steady {steady}");
    assert!(steady > fading, "steady {steady} vs fading {fading}");

    let complaints = Rows::read(dir.path(), "complaints.csv");
    let mut severe: BTreeMap<Archetype, f64> = BTreeMap::new();
    for record in &complaints.records {
        let level = &record[complaints.column("severity")];
        let at = &record[complaints.column("created_at")];
        if matches!(level, "high" | "critical") && recent(at) {
            let archetype = accounts[&record[complaints.column("account_id")]].archetype;
            *severe.entry(archetype).or_default() += 1.0;
        }
    }
    let fading = per_account(Archetype::Fading, &severe);
    let steady = per_account(Archetype::Steady, &severe);
    // Some staying customers grumble and some leave quietly, so the gap
    // is real but not overwhelming.
    assert!(fading > 2.0 * steady, "fading {fading} vs steady {steady}");
}

#[test]
fn planted_leaving_accounts_go_quiet_with_open_tickets() {
    let opts = options(40, 730, 3);
    let dir = demo(&opts);
    let leaving: Vec<String> = archetypes(&opts)
        .into_values()
        .filter(|a| a.plant == Some(Plant::Leaving))
        .map(|a| a.id)
        .collect();
    assert_eq!(leaving.len(), PLANTED_EACH);

    let orders = Rows::read(dir.path(), "orders.csv");
    let quiet_since = (end() - Duration::days(80)).to_string();
    for record in &orders.records {
        if leaving
            .iter()
            .any(|id| id == &record[orders.column("account_id")])
        {
            assert!(
                record[orders.column("ordered_at")][..10] < *quiet_since,
                "{record:?}"
            );
        }
    }

    let tickets = Rows::read(dir.path(), "tickets.csv");
    for id in &leaving {
        let open = tickets
            .records
            .iter()
            .filter(|r| &r[tickets.column("account_id")] == id)
            .filter(|r| r[tickets.column("closed_at")].is_empty())
            .count();
        assert!(open >= 1, "{id} has no open ticket");
    }
}

#[test]
fn times_carry_the_offset_of_the_account_region() {
    let opts = options(120, 200, 5);
    let dir = demo(&opts);
    let accounts = archetypes(&opts);
    let tickets = Rows::read(dir.path(), "tickets.csv");
    let mut offsets: BTreeMap<&str, std::collections::BTreeSet<i32>> = BTreeMap::new();
    for record in &tickets.records {
        let region = accounts[&record[tickets.column("account_id")]].region.code;
        let offset = moment(&record[tickets.column("opened_at")])
            .offset()
            .local_minus_utc();
        offsets.entry(region).or_default().insert(offset / 3600);
    }
    assert_eq!(offsets["CN"], [8].into());
    assert_eq!(offsets["JP"], [9].into());
    assert_eq!(offsets["DE"], [1, 2].into(), "winter and summer time");
    assert_eq!(offsets["US"], [-5, -4].into());
}

#[test]
fn chinese_accounts_have_chinese_names_and_pay_in_cny() {
    let dir = demo(&options(200, 100, 8));
    let accounts = Rows::read(dir.path(), "accounts.csv");
    let mut chinese = 0;
    for record in &accounts.records {
        let is_china = &record[accounts.column("country")] == "CN";
        let name = &record[accounts.column("name")];
        assert_eq!(is_china, name.ends_with("有限公司"), "{name}");
        assert_eq!(is_china, &record[accounts.column("currency")] == "CNY");
        chinese += usize::from(is_china);
    }
    assert!((10..60).contains(&chinese), "{chinese} accounts in China");
}

#[test]
fn fx_rates_cover_every_business_day_near_their_level() {
    let opts = options(10, 300, 2);
    let dir = demo(&opts);
    let rates = Rows::read(dir.path(), "fx_rates.csv");
    let mut days: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    for record in &rates.records {
        let date = NaiveDate::parse_from_str(&record[rates.column("date")], "%Y-%m-%d").unwrap();
        let code = &record[rates.column("currency")];
        let rate: f64 = record[rates.column("rate")].parse().unwrap();
        let level = QUOTED.iter().find(|c| c.code == code).unwrap().eur_per_unit;
        assert!(
            (0.75..1.33).contains(&(rate / level)),
            "{code} {rate} on {date}"
        );
        *days.entry(date).or_default() += 1;
    }
    let period = Period::new(opts.days, opts.end).unwrap();
    for date in period.dates().filter(|d| is_fx_business_day(*d)) {
        assert_eq!(days.get(&date), Some(&QUOTED.len()), "{date}");
    }
    assert!(days.keys().all(|date| is_fx_business_day(*date)));
}

#[test]
fn no_event_falls_outside_the_history() {
    let opts = options(150, 365, 9);
    let dir = demo(&opts);
    let start = (end() - Duration::days(opts.days)).to_string();
    let last = end().to_string();
    let timed = [
        ("orders.csv", "ordered_at"),
        ("opportunities.csv", "created_at"),
        ("opportunities.csv", "closed_at"),
        ("web_events.csv", "event_time"),
        ("social.csv", "posted_at"),
        ("tickets.csv", "opened_at"),
        ("tickets.csv", "closed_at"),
        ("complaints.csv", "created_at"),
        ("complaints.csv", "resolved_at"),
        ("contracts.csv", "start_date"),
        ("verifications.csv", "verified_at"),
        ("weather/CN.csv", "date"),
        ("commodities.csv", "date"),
        ("channel_inventory.csv", "date"),
    ];
    for (file, column) in timed {
        let rows = Rows::read(dir.path(), file);
        for value in rows.values(column).filter(|v| !v.is_empty()) {
            let day = &value[..10];
            assert!(*start <= *day && *day < *last, "{file} {column} {value}");
        }
    }
}

#[test]
fn empty_history_and_wild_shares_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let error = generate(&options(10, 0, 1), dir.path()).unwrap_err();
    assert!(error.to_string().contains("at least one day"), "{error}");

    let wild = GenerateOptions {
        bad_share: -0.1,
        ..options(10, 10, 1)
    };
    let error = generate(&wild, dir.path()).unwrap_err();
    assert!(error.to_string().contains("bad row share"), "{error}");
}
