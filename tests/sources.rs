//! Each event and market source read from a tiny inline CSV through the
//! product's own config and ingest: the exact frame it becomes, and every
//! refused row with its line and reason. Also the checks config loading
//! makes on constants, value spellings and layouts.

use std::fs;

use polars::prelude::*;
use radar::config::Config;
use radar::contract::SourceKind;
use radar::ingest::{ingest, Ingested};
use tempfile::TempDir;

const COMPANY: &str = r#"
[company]
name = "Northwind"
time_zone = "UTC"
base_currency = "USD"
"#;

/// Writes `files` and a config made of the company and `sources` into a
/// temporary folder, then ingests it.
fn ingest_case(sources: &str, files: &[(&str, &str)]) -> (Ingested, TempDir) {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let config = load_case(&tmp, sources, files).expect("the config loads");
    let ingested = ingest(&config, None).expect("ingest succeeds");
    for stats in &ingested.stats {
        assert_eq!(
            stats.rows_read,
            stats.rows_accepted + stats.rows_quarantined,
            "{stats:?}"
        );
    }
    (ingested, tmp)
}

fn load_case(
    tmp: &TempDir,
    sources: &str,
    files: &[(&str, &str)],
) -> Result<Config, radar::config::ConfigError> {
    for (name, text) in files {
        fs::write(tmp.path().join(name), text).expect("a written file");
    }
    let path = tmp.path().join("radar.toml");
    fs::write(&path, format!("{COMPANY}\n{sources}")).expect("a written config");
    Config::load(&path)
}

fn config_error(sources: &str) -> String {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    match load_case(&tmp, sources, &[]) {
        Ok(_) => panic!("config loaded but should not:\n{sources}"),
        Err(e) => e.to_string(),
    }
}

/// (line, column, reason) of each quarantined row of `source`.
fn refused(ingested: &Ingested, source: &str) -> Vec<(u64, String, String)> {
    ingested
        .quarantine
        .iter()
        .filter(|q| q.source == source)
        .map(|q| (q.line, q.column.clone(), q.reason.clone()))
        .collect()
}

fn counts(ingested: &Ingested, kind: SourceKind) -> (u64, u64, u64) {
    let stats = ingested
        .stats
        .iter()
        .find(|s| s.source == kind)
        .expect("stats of the source");
    (stats.rows_read, stats.rows_accepted, stats.rows_quarantined)
}

fn frame(ingested: &Ingested, kind: SourceKind) -> &DataFrame {
    ingested.frame(kind).expect("a frame")
}

fn strs(frame: &DataFrame, name: &str) -> Vec<Option<String>> {
    let column = frame.column(name).expect(name);
    column
        .str()
        .expect("a text column")
        .iter()
        .map(|v| v.map(str::to_string))
        .collect()
}

fn some(values: &[&str]) -> Vec<Option<String>> {
    values.iter().map(|v| Some(v.to_string())).collect()
}

fn i32s(frame: &DataFrame, name: &str) -> Vec<Option<i32>> {
    frame
        .column(name)
        .expect(name)
        .i32()
        .expect("i32")
        .iter()
        .collect()
}

fn i64s(frame: &DataFrame, name: &str) -> Vec<Option<i64>> {
    frame
        .column(name)
        .expect(name)
        .i64()
        .expect("i64")
        .iter()
        .collect()
}

fn f64s(frame: &DataFrame, name: &str) -> Vec<Option<f64>> {
    frame
        .column(name)
        .expect(name)
        .f64()
        .expect("f64")
        .iter()
        .collect()
}

fn bools(frame: &DataFrame, name: &str) -> Vec<Option<bool>> {
    frame
        .column(name)
        .expect(name)
        .bool()
        .expect("bool")
        .iter()
        .collect()
}

fn names(frame: &DataFrame) -> Vec<String> {
    frame
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect()
}

/// Days since 1970-01-01 of 2024-01-01.
const JAN_1: i32 = 19_723;
const DAY_MS: i64 = 86_400_000;

const FX: &str = "date,currency,rate\n2024-01-01,GBP,1.25\n2024-01-01,EUR,1.10\n";

const FX_SOURCE: &str = r#"
[sources.fx_rates]
path = "fx.csv"
[sources.fx_rates.columns]
date = "date"
currency = "currency"
rate = "rate"
"#;

#[test]
fn contracts_convert_money_at_the_start_day_and_refuse_bad_rows() {
    let sources = format!(
        r#"{FX_SOURCE}
[sources.contracts]
path = "contracts.csv"
[sources.contracts.columns]
id = "ref"
account = "customer"
product = "plan"
start = "from"
end = "to"
amount = "value"
currency = "cur"
renewed = "status"
[sources.contracts.values.renewed]
true = ["Renewed"]
false = ["Lapsed"]
"#
    );
    let csv = "ref,customer,plan,from,to,value,cur,status\n\
               K1,A1,Gold,2024-01-02,2024-12-31,100,GBP,renewed\n\
               K2,A2,,2024-01-01,,50,USD,\n\
               K1,A3,Gold,2024-01-02,2024-12-31,100,GBP,Lapsed\n\
               K3,A1,Gold,2024-03-01,2024-02-01,10,USD,Lapsed\n\
               K4,A1,Gold,2024-01-01,2024-02-01,-5,USD,Lapsed\n\
               K5,A1,Gold,2024-01-01,2024-02-01,5,USD,maybe\n\
               K6,,Gold,2024-01-01,2024-02-01,5,USD,Lapsed\n";
    let (ingested, _tmp) = ingest_case(&sources, &[("fx.csv", FX), ("contracts.csv", csv)]);

    assert_eq!(counts(&ingested, SourceKind::Contracts), (7, 2, 5));
    let contracts = frame(&ingested, SourceKind::Contracts);
    assert_eq!(
        names(contracts),
        [
            "contract_id",
            "account_id",
            "product",
            "start_day",
            "end_day",
            "amount_base",
            "renewed"
        ]
    );
    assert_eq!(strs(contracts, "contract_id"), some(&["K1", "K2"]));
    assert_eq!(i32s(contracts, "start_day"), [Some(JAN_1 + 1), Some(JAN_1)]);
    assert_eq!(i32s(contracts, "end_day"), [Some(JAN_1 + 365), None]);
    let amounts = f64s(contracts, "amount_base");
    assert!((amounts[0].unwrap() - 125.0).abs() < 1e-9, "{amounts:?}");
    assert_eq!(amounts[1], Some(50.0));
    assert_eq!(bools(contracts, "renewed"), [Some(true), None]);

    let refused = refused(&ingested, "contracts");
    let lines: Vec<u64> = refused.iter().map(|r| r.0).collect();
    assert_eq!(lines, [4, 5, 6, 7, 8]);
    assert_eq!(refused[0].2, "duplicate of line 2: same contract id");
    assert_eq!(refused[1].1, "to");
    assert_eq!(refused[1].2, "end is before start");
    assert_eq!(refused[2].2, "amount is negative");
    assert!(
        refused[3].2.contains("neither true nor false"),
        "{}",
        refused[3].2
    );
    assert_eq!(refused[4].1, "customer");
    assert_eq!(
        refused[4].2,
        "required identifier is missing (blank or null)"
    );
}

#[test]
fn complaints_are_severe_by_the_usual_words_unless_mapped() {
    let sources = r#"
[sources.complaints]
path = "complaints.csv"
[sources.complaints.columns]
id = "case"
account = "customer"
created = "opened"
severity = "level"
category = "topic"
resolved = "closed"
"#;
    let csv = "case,customer,opened,level,topic,closed\n\
               C1,A1,2024-01-01 10:00:00,High,billing,2024-01-02 10:00:00\n\
               C2,A1,2024-01-01 11:00:00,low,,\n\
               ,A2,2024-01-01 12:00:00,,delivery,\n\
               C1,A2,2024-01-03 12:00:00,urgent,,\n\
               C4,A2,2024-01-03 12:00:00,urgent,,2024-01-02 12:00:00\n";
    let (ingested, _tmp) = ingest_case(sources, &[("complaints.csv", csv)]);

    assert_eq!(counts(&ingested, SourceKind::Complaints), (5, 3, 2));
    let complaints = frame(&ingested, SourceKind::Complaints);
    assert_eq!(
        strs(complaints, "complaint_id"),
        [Some("C1".into()), Some("C2".into()), None]
    );
    assert_eq!(
        bools(complaints, "severe"),
        [Some(true), Some(false), Some(false)]
    );
    let jan_1_ms = JAN_1 as i64 * DAY_MS;
    assert_eq!(
        i64s(complaints, "created_ms"),
        [
            Some(jan_1_ms + 10 * 3_600_000),
            Some(jan_1_ms + 11 * 3_600_000),
            Some(jan_1_ms + 12 * 3_600_000)
        ]
    );
    assert_eq!(
        i64s(complaints, "resolved_ms"),
        [Some(jan_1_ms + DAY_MS + 10 * 3_600_000), None, None]
    );
    let refused = refused(&ingested, "complaints");
    assert_eq!(refused[0].0, 5);
    assert_eq!(refused[0].2, "duplicate of line 2: same complaint id");
    assert_eq!(refused[1].0, 6);
    assert_eq!(refused[1].2, "resolved is before created");
}

#[test]
fn complaint_severity_mapping_refuses_spellings_it_does_not_list() {
    let sources = r#"
[sources.complaints]
path = "complaints.csv"
[sources.complaints.columns]
account = "customer"
created = "opened"
severity = "priority"
[sources.complaints.values.severity]
severe = ["P1"]
not_severe = ["P2", "P3"]
"#;
    let csv = "customer,opened,priority\n\
               A1,2024-01-01,p1\n\
               A1,2024-01-01,P3\n\
               A1,2024-01-01,High\n";
    let (ingested, _tmp) = ingest_case(sources, &[("complaints.csv", csv)]);

    let complaints = frame(&ingested, SourceKind::Complaints);
    assert_eq!(bools(complaints, "severe"), [Some(true), Some(false)]);
    let refused = refused(&ingested, "complaints");
    assert_eq!(refused.len(), 1);
    assert_eq!((refused[0].0, refused[0].1.as_str()), (4, "priority"));
    assert!(refused[0].2.contains("values.severity"), "{}", refused[0].2);
}

#[test]
fn tickets_refuse_closing_before_opening_and_negative_satisfaction() {
    let sources = r#"
[sources.tickets]
path = "tickets.csv"
[sources.tickets.columns]
id = "no"
account = "customer"
opened = "opened"
closed = "closed"
priority = "prio"
satisfaction = "csat"
"#;
    let csv = "no,customer,opened,closed,prio,csat\n\
               T1,A1,2024-01-01,2024-01-03,high,4.5\n\
               T2,A1,2024-01-05,2024-01-04,low,\n\
               T3,A1,2024-01-05,,low,-1\n\
               T4,A1,2024-01-05,,,\n";
    let (ingested, _tmp) = ingest_case(sources, &[("tickets.csv", csv)]);

    assert_eq!(counts(&ingested, SourceKind::Tickets), (4, 2, 2));
    let tickets = frame(&ingested, SourceKind::Tickets);
    assert_eq!(
        names(tickets),
        [
            "ticket_id",
            "account_id",
            "opened_ms",
            "closed_ms",
            "priority",
            "satisfaction"
        ]
    );
    assert_eq!(strs(tickets, "ticket_id"), some(&["T1", "T4"]));
    assert_eq!(
        i64s(tickets, "closed_ms"),
        [Some((JAN_1 as i64 + 2) * DAY_MS), None]
    );
    assert_eq!(f64s(tickets, "satisfaction"), [Some(4.5), None]);
    assert_eq!(strs(tickets, "priority"), [Some("high".into()), None]);
    let refused = refused(&ingested, "tickets");
    assert_eq!(
        refused[0],
        (3, "closed".into(), "closed is before opened".into())
    );
    assert_eq!(
        refused[1],
        (4, "csat".into(), "satisfaction is negative".into())
    );
}

#[test]
fn web_event_kinds_are_mapped_or_kept_lower_cased_with_counts() {
    let sources = r#"
[sources.web_events]
path = "web.csv"
[sources.web_events.columns]
time = "at"
account = "company"
session = "visit"
kind = "page"
count = "hits"
[sources.web_events.values.kind]
pricing_view = ["Pricing Page", "/pricing"]
demo_request = ["Book a demo"]
"#;
    let csv = "at,company,visit,page,hits\n\
               2024-01-01 08:00:00,A1,s1,pricing page,2\n\
               2024-01-01 08:01:00,A1,s1,Book a Demo,\n\
               2024-01-01 08:02:00,A1,s1,Webinar,1\n\
               2024-01-01 08:03:00,A2,,page_view,3\n\
               2024-01-01 08:04:00,A2,,page_view,2.5\n\
               2024-01-01 08:05:00,A2,,page_view,-1\n\
               2024-01-01 08:06:00,A2,,,1\n";
    let (ingested, _tmp) = ingest_case(sources, &[("web.csv", csv)]);

    assert_eq!(counts(&ingested, SourceKind::WebEvents), (7, 4, 3));
    let web = frame(&ingested, SourceKind::WebEvents);
    assert_eq!(
        names(web),
        ["account_id", "ts_ms", "session", "kind", "count"]
    );
    assert_eq!(
        strs(web, "kind"),
        some(&["pricing_view", "demo_request", "webinar", "page_view"])
    );
    assert_eq!(i64s(web, "count"), [Some(2), Some(1), Some(1), Some(3)]);
    assert_eq!(strs(web, "session")[3], None);
    let refused = refused(&ingested, "web_events");
    let lines: Vec<u64> = refused.iter().map(|r| r.0).collect();
    assert_eq!(lines, [6, 7, 8]);
    assert!(refused[0].2.contains("whole number"), "{}", refused[0].2);
    assert_eq!(refused[2].2, "required value is missing");
}

#[test]
fn social_sentiment_is_a_number_or_a_mapped_label() {
    let sources = r#"
[sources.social]
path = "social.csv"
constants = { channel = "twitter" }
[sources.social.columns]
id = "post"
time = "at"
account = "brand"
sentiment = "mood"
[sources.social.values.sentiment]
"1" = ["positive"]
"0" = ["neutral"]
"-1" = ["negative"]
"#;
    let csv = "post,at,brand,mood\n\
               p1,2024-01-01,A1,Positive\n\
               p2,2024-01-01,A1,-0.5\n\
               p3,2024-01-01,A1,\n\
               p1,2024-01-02,A1,negative\n\
               p5,2024-01-02,A1,1.5\n\
               p6,2024-01-02,A1,meh\n";
    let (ingested, _tmp) = ingest_case(sources, &[("social.csv", csv)]);

    assert_eq!(counts(&ingested, SourceKind::Social), (6, 3, 3));
    let social = frame(&ingested, SourceKind::Social);
    assert_eq!(
        names(social),
        ["account_id", "ts_ms", "channel", "kind", "sentiment"]
    );
    assert_eq!(f64s(social, "sentiment"), [Some(1.0), Some(-0.5), None]);
    assert_eq!(
        strs(social, "channel"),
        some(&["twitter", "twitter", "twitter"])
    );
    assert_eq!(strs(social, "kind"), [None, None, None]);
    let refused = refused(&ingested, "social");
    assert_eq!(refused[0].2, "duplicate of line 2: same interaction id");
    assert_eq!(refused[1].2, "sentiment is outside -1 to 1");
    assert!(
        refused[2].2.contains("values.sentiment"),
        "{}",
        refused[2].2
    );
}

#[test]
fn channel_inventory_resolves_regions_and_refuses_negative_stock_and_repeats() {
    let sources = r#"
[regions.aliases]
"N. West" = "North West"

[sources.channel_inventory]
path = "stock.csv"
[sources.channel_inventory.columns]
date = "day"
partner = "reseller"
region = "area"
product = "sku"
on_hand = "stock"
sold = "sold"
"#;
    let csv = "day,reseller,area,sku,stock,sold\n\
               2024-01-01,Acme,N. West,X1,10,2\n\
               2024-01-01,ACME,North West,X1,9,1\n\
               2024-01-02,Acme,North West,X1,-1,1\n\
               2024-01-02,Acme,North West,X1,8,0\n";
    let (ingested, _tmp) = ingest_case(sources, &[("stock.csv", csv)]);

    assert_eq!(counts(&ingested, SourceKind::ChannelInventory), (4, 2, 2));
    let stock = frame(&ingested, SourceKind::ChannelInventory);
    assert_eq!(
        names(stock),
        ["day", "partner", "region", "product", "on_hand", "sold"]
    );
    assert_eq!(i32s(stock, "day"), [Some(JAN_1), Some(JAN_1 + 1)]);
    assert_eq!(strs(stock, "region"), some(&["North West", "North West"]));
    assert_eq!(f64s(stock, "on_hand"), [Some(10.0), Some(8.0)]);
    let refused = refused(&ingested, "channel_inventory");
    assert_eq!(refused[0].0, 3);
    assert!(
        refused[0].2.starts_with("duplicate of line 2"),
        "{}",
        refused[0].2
    );
    assert_eq!(
        refused[1],
        (4, "stock".into(), "on_hand is negative".into())
    );
}

#[test]
fn competitor_prices_mark_our_own_and_convert_to_base() {
    let sources = format!(
        r#"{FX_SOURCE}
[sources.competitor_prices]
path = "prices.csv"
own_name = "Us Ltd"
[sources.competitor_prices.columns]
date = "day"
competitor = "seller"
product = "item"
region = "area"
price = "price"
currency = "cur"
"#
    );
    let csv = "day,seller,item,area,price,cur\n\
               2024-01-01,us ltd,X1,West,100,USD\n\
               2024-01-01,Rival,X1,West,80,EUR\n\
               2024-01-01,Rival,X1,West,81,EUR\n\
               2024-01-01,Rival,X1,East,-3,USD\n\
               2024-01-01,Rival,X1,East,3,CHF\n";
    let (ingested, _tmp) = ingest_case(&sources, &[("fx.csv", FX), ("prices.csv", csv)]);

    assert_eq!(counts(&ingested, SourceKind::CompetitorPrices), (5, 2, 3));
    let prices = frame(&ingested, SourceKind::CompetitorPrices);
    assert_eq!(
        names(prices),
        [
            "day",
            "competitor",
            "product",
            "region",
            "price_base",
            "is_own"
        ]
    );
    assert_eq!(bools(prices, "is_own"), [Some(true), Some(false)]);
    let base = f64s(prices, "price_base");
    assert!(
        (base[1].unwrap() - 88.0).abs() < 1e-9,
        "80 EUR at 1.10: {base:?}"
    );
    let refused = refused(&ingested, "competitor_prices");
    assert!(
        refused[0].2.starts_with("duplicate of line 3"),
        "{}",
        refused[0].2
    );
    assert_eq!(refused[1].2, "price is negative");
    assert!(
        refused[2].2.contains("no CHF exchange rate"),
        "{}",
        refused[2].2
    );
}

#[test]
fn competitor_prices_default_to_the_company_name_as_our_own() {
    let sources = r#"
[sources.competitor_prices]
path = "prices.csv"
currency = "USD"
[sources.competitor_prices.columns]
date = "day"
competitor = "seller"
product = "item"
region = "area"
price = "price"
"#;
    let csv = "day,seller,item,area,price\n\
               2024-01-01,NORTHWIND,X1,West,100\n\
               2024-01-01,Rival,X1,West,90\n";
    let (ingested, _tmp) = ingest_case(sources, &[("prices.csv", csv)]);
    let prices = frame(&ingested, SourceKind::CompetitorPrices);
    assert_eq!(bools(prices, "is_own"), [Some(true), Some(false)]);
    assert_eq!(f64s(prices, "price_base"), [Some(100.0), Some(90.0)]);
}

#[test]
fn policies_map_stances_and_start_when_published_without_an_effective_day() {
    let sources = r#"
[sources.policies]
path = "policies.csv"
[sources.policies.columns]
id = "doc"
published = "published"
region = "area"
industry = "sector"
stance = "kind"
title = "title"
effective = "from"
ends = "until"
[sources.policies.values.stance]
incentive = ["Subsidy", "tax credit"]
restriction = ["Ban"]
"#;
    let csv = "doc,published,area,sector,kind,title,from,until\n\
               P1,2024-01-01,West,food,subsidy,Grant,,\n\
               P2,2024-01-01,West,,BAN,No plastic,2024-02-01,2024-12-31\n\
               P3,2024-01-01,West,,Restriction,,2024-02-01,\n\
               P4,2024-01-01,West,,neutral,,,\n\
               P1,2024-01-05,East,,Ban,,,\n\
               P6,2024-01-01,West,,Ban,,2024-02-01,2024-01-15\n";
    let (ingested, _tmp) = ingest_case(sources, &[("policies.csv", csv)]);

    assert_eq!(counts(&ingested, SourceKind::Policies), (6, 3, 3));
    let policies = frame(&ingested, SourceKind::Policies);
    assert_eq!(
        names(policies),
        [
            "policy_id",
            "published_day",
            "region",
            "industry",
            "stance",
            "title",
            "effective_day",
            "end_day"
        ]
    );
    assert_eq!(
        strs(policies, "stance"),
        some(&["incentive", "restriction", "restriction"])
    );
    assert_eq!(
        i32s(policies, "effective_day"),
        [Some(JAN_1), Some(JAN_1 + 31), Some(JAN_1 + 31)]
    );
    assert_eq!(i32s(policies, "end_day"), [None, Some(JAN_1 + 365), None]);
    let refused = refused(&ingested, "policies");
    assert_eq!(refused[0].0, 5);
    assert!(
        refused[0].2.contains("neither incentive nor restriction"),
        "{}",
        refused[0].2
    );
    assert_eq!(refused[1].2, "duplicate of line 2: same policy id");
    assert_eq!(refused[2].2, "ends is before effective");
}

#[test]
fn weather_takes_a_constant_region_and_listed_severe_spellings() {
    let sources = r#"
[sources.weather]
path = "weather.csv"
date_formats = ["%Y/%m/%d"]
constants = { region = "US" }
[sources.weather.columns]
date = "date"
temperature = "temp_max"
precipitation = "rain_mm"
severe = "sky"
[sources.weather.values.severe]
true = ["snow", "storm"]
"#;
    let csv = "date,temp_max,rain_mm,sky\n\
               2024/01/01,3.5,0,Snow\n\
               2024/01/02,8,1.5,sun\n\
               2024/01/03,,,\n\
               2024/01/03,9,0,sun\n\
               2024/01/04,9,-2,sun\n";
    let (ingested, _tmp) = ingest_case(sources, &[("weather.csv", csv)]);

    assert_eq!(counts(&ingested, SourceKind::Weather), (5, 3, 2));
    let weather = frame(&ingested, SourceKind::Weather);
    assert_eq!(
        names(weather),
        ["day", "region", "temperature", "precipitation", "severe"]
    );
    assert_eq!(strs(weather, "region"), some(&["US", "US", "US"]));
    assert_eq!(bools(weather, "severe"), [Some(true), Some(false), None]);
    assert_eq!(f64s(weather, "temperature"), [Some(3.5), Some(8.0), None]);
    let refused = refused(&ingested, "weather");
    assert_eq!(refused[0].2, "duplicate of line 4: same region and date");
    assert_eq!(refused[1].2, "precipitation is negative");
}

#[test]
fn commodity_files_name_their_symbol_and_feed_configured_industries() {
    let sources = r#"
[industry_symbols]
airlines = ["wti-daily", "brent-daily"]
shipping = ["brent-daily"]

[sources.commodities]
path = "*-daily.csv"
constants = { symbol = "{file_stem}" }
[sources.commodities.columns]
date = "Date"
close = "Price"
"#;
    let brent = "Date,Price\n2020-04-20,25.57\n2020-04-21,19.33\n";
    let wti = "Date,Price\n2020-04-20,-36.98\n2020-04-20,-37.00\n";
    let (ingested, _tmp) = ingest_case(
        sources,
        &[("brent-daily.csv", brent), ("wti-daily.csv", wti)],
    );

    assert_eq!(counts(&ingested, SourceKind::Commodities), (4, 3, 1));
    let prices = frame(&ingested, SourceKind::Commodities);
    assert_eq!(names(prices), ["day", "symbol", "close", "industries"]);
    assert_eq!(
        strs(prices, "symbol"),
        some(&["brent-daily", "brent-daily", "wti-daily"])
    );
    assert_eq!(
        f64s(prices, "close"),
        [Some(25.57), Some(19.33), Some(-36.98)]
    );
    assert_eq!(
        strs(prices, "industries"),
        some(&["airlines;shipping", "airlines;shipping", "airlines"])
    );
    let refused = refused(&ingested, "commodities");
    assert_eq!(refused[0].0, 3);
    assert_eq!(refused[0].2, "duplicate of line 2: same symbol and date");
}

#[test]
fn wide_commodity_rows_give_one_close_per_filled_cell() {
    let sources = r#"
[sources.commodities]
path = "imf.csv"
wide = { date_column = "Date" }
"#;
    let csv = "Date,Copper,Wheat Index\n\
               2017-01-01,5500.5,\n\
               2017-02-01,5600,101.5\n\
               2017-03-01,lots,100\n\
               2017-02-01,5601,101\n";
    let (ingested, _tmp) = ingest_case(sources, &[("imf.csv", csv)]);

    assert_eq!(counts(&ingested, SourceKind::Commodities), (4, 2, 2));
    let prices = frame(&ingested, SourceKind::Commodities);
    assert_eq!(
        strs(prices, "symbol"),
        some(&["Copper", "Copper", "Wheat Index"])
    );
    assert_eq!(
        f64s(prices, "close"),
        [Some(5500.5), Some(5600.0), Some(101.5)]
    );
    assert_eq!(i32s(prices, "day")[1], Some(17_198));
    let refused = refused(&ingested, "commodities");
    assert_eq!(refused[0].1, "Copper");
    assert!(refused[0].2.contains("not a number"), "{}", refused[0].2);
    assert_eq!(refused[1].2, "duplicate of line 3: same date row");
}

#[test]
fn prospects_and_verifications_refuse_repeated_ids() {
    let sources = r#"
[sources.prospects]
path = "prospects.csv"
[sources.prospects.columns]
id = "id"
name = "name"
region = "area"
size = "staff"

[sources.verifications]
path = "checks.csv"
[sources.verifications.columns]
signal_id = "signal"
verified = "at"
outcome = "result"
"#;
    let prospects = "id,name,area,staff\nQ1,Acme,West,20\nQ1,Acme 2,West,3\nQ3,Beta,East,-4\n";
    let checks = "signal,at,result\nS1,2024-01-01 09:00:00,Confirmed\nS1,2024-01-02,False Alarm\n";
    let (ingested, _tmp) = ingest_case(
        sources,
        &[("prospects.csv", prospects), ("checks.csv", checks)],
    );

    assert_eq!(counts(&ingested, SourceKind::Prospects), (3, 1, 2));
    let found = frame(&ingested, SourceKind::Prospects);
    assert_eq!(
        names(found),
        ["prospect_id", "name", "region", "industry", "size"]
    );
    assert_eq!(f64s(found, "size"), [Some(20.0)]);
    assert_eq!(counts(&ingested, SourceKind::Verifications), (2, 1, 1));
    let verified = frame(&ingested, SourceKind::Verifications);
    assert_eq!(strs(verified, "outcome"), some(&["confirmed"]));
    assert_eq!(
        i64s(verified, "verified_ms"),
        [Some(JAN_1 as i64 * DAY_MS + 9 * 3_600_000)]
    );
    let refused = refused(&ingested, "verifications");
    assert_eq!(refused[0].2, "duplicate of line 2: same signal id");
}

#[test]
fn exact_copies_of_order_lines_point_at_the_first() {
    let sources = r#"
[sources.orders]
path = "orders.csv"
currency = "USD"
[sources.orders.columns]
id = "invoice"
account = "customer"
date = "at"
amount = "total"
"#;
    let csv = "invoice,customer,at,total\n\
               I1,A1,2024-01-01,10\n\
               I1,A1,2024-01-01,11\n\
               I1,A1,2024-01-01,10\n\
               I1,A1,2024-01-01,10\n";
    let (ingested, _tmp) = ingest_case(sources, &[("orders.csv", csv)]);

    assert_eq!(counts(&ingested, SourceKind::Orders), (4, 2, 2));
    let refused = refused(&ingested, "orders");
    let expected = "duplicate of line 2: same values in every column";
    assert_eq!(refused[0], (4, "invoice".into(), expected.into()));
    assert_eq!(refused[1], (5, "invoice".into(), expected.into()));
}

#[test]
fn config_refuses_unknown_fields_values_and_placeholders() {
    let web = r#"
[sources.web_events]
path = "web.csv"
[sources.web_events.columns]
time = "at"
account = "company"
kind = "page"
"#;
    let err = config_error(&format!(
        "{web}[sources.web_events.values.kind]\nsignup = [\"x\"]\n"
    ));
    assert!(err.contains("unknown value `signup`"), "{err}");
    assert!(err.contains("page_view, pricing_view"), "{err}");

    let err = config_error(&format!(
        "{web}[sources.web_events.values.colour]\nred = [\"r\"]\n"
    ));
    assert!(err.contains("values names unknown field `colour`"), "{err}");

    let err = config_error(&format!(
        "{web}[sources.web_events.constants]\nsession = \"{{stem}}\"\n"
    ));
    assert!(err.contains("placeholder"), "{err}");

    let err = config_error(&format!(
        "{web}[sources.web_events.constants]\nkind = \"page_view\"\n"
    ));
    assert!(
        err.contains("both a column (`page`) and a constant"),
        "{err}"
    );

    let err = config_error(&format!(
        "{web}[sources.web_events.constants]\ncount = \"many\"\n"
    ));
    assert!(err.contains("constant for `count` is not valid"), "{err}");
}

#[test]
fn config_checks_stances_sentiments_and_layouts() {
    let policies = r#"
[sources.policies]
path = "p.csv"
[sources.policies.columns]
id = "id"
published = "published"
region = "region"
stance = "stance"
[sources.policies.values.stance]
neutral = ["info"]
"#;
    let err = config_error(policies);
    assert!(err.contains("unknown value `neutral`"), "{err}");
    assert!(err.contains("incentive, restriction"), "{err}");

    let social = r#"
[sources.social]
path = "s.csv"
[sources.social.columns]
time = "t"
account = "a"
sentiment = "s"
[sources.social.values.sentiment]
"5" = ["great"]
"#;
    let err = config_error(social);
    assert!(err.contains("`5` is not a number from -1 to 1"), "{err}");

    let wide_weather = "[sources.weather]\npath = \"w.csv\"\nwide = { date_column = \"d\" }\n";
    assert!(config_error(wide_weather).contains("only read for commodities"));

    let no_symbol = "[sources.commodities]\npath = \"c.csv\"\n\
                     [sources.commodities.columns]\ndate = \"d\"\nclose = \"p\"\n";
    let err = config_error(no_symbol);
    assert!(
        err.contains("required field `symbol` has no column mapping and no constant"),
        "{err}"
    );
}

#[test]
fn a_constant_satisfies_a_required_field() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let sources = "[sources.commodities]\npath = \"c.csv\"\n\
                   constants = { symbol = \"gold\" }\n\
                   [sources.commodities.columns]\ndate = \"d\"\nclose = \"p\"\n";
    let config = load_case(&tmp, sources, &[]).expect("a symbol constant is enough");
    let commodities = &config.sources[&SourceKind::Commodities];
    assert_eq!(commodities.constants["symbol"], "gold");
}

#[test]
fn repeats_across_files_name_the_first_file_and_unknown_accounts_are_refused() {
    let sources = r#"
[sources.accounts]
path = "accounts.csv"
[sources.accounts.columns]
id = "id"

[sources.complaints]
path = "complaints-*.csv"
[sources.complaints.columns]
id = "case"
account = "customer"
created = "opened"
"#;
    let accounts = "id\nA1\n";
    let first = "case,customer,opened\nC1,A1,2024-01-01\n";
    let second = "case,customer,opened\nC2,A9,2024-01-02\nC1,A1,2024-01-03\n";
    let (ingested, _tmp) = ingest_case(
        sources,
        &[
            ("accounts.csv", accounts),
            ("complaints-1.csv", first),
            ("complaints-2.csv", second),
        ],
    );

    assert_eq!(counts(&ingested, SourceKind::Complaints), (3, 1, 2));
    let refused = refused(&ingested, "complaints");
    assert_eq!(refused[0].0, 2);
    assert_eq!(refused[0].2, "account is not in the accounts source");
    let expected = "duplicate of line 2 of complaints-1.csv: same complaint id";
    assert_eq!(refused[1], (3, "case".into(), expected.into()));
}

#[test]
fn a_base_currency_no_rate_involves_is_refused_once() {
    let sources = r#"
[sources.fx_rates]
path = "ecb.csv"
fx_layout = { date_column = "Date", quote_base = "EUR" }
"#;
    let without_usd = [("ecb.csv", "Date,GBP,JPY\n2024-01-02,0.86,155.0\n")];
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let config = load_case(&tmp, sources, &without_usd).expect("the config loads");

    let error = ingest(&config, None)
        .expect_err("USD is in no rate")
        .to_string();

    assert!(
        error.contains("company.base_currency `USD` appears in no rate of this source"),
        "{error}"
    );
    assert!(error.contains("(quoted against EUR)"), "{error}");

    let with_usd = [("ecb.csv", "Date,USD,GBP\n2024-01-02,1.09,0.86\n")];
    let (ingested, _tmp) = ingest_case(sources, &with_usd);
    assert_eq!(counts(&ingested, SourceKind::FxRates), (1, 1, 0));
}

#[test]
fn globs_take_the_folder_literally_skip_dotfiles_and_refuse_dangling_links() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let root = tmp.path().join("exports[1]");
    let decoy = tmp.path().join("exports1");
    for folder in [&root, &decoy] {
        fs::create_dir_all(folder.join("orders")).expect("a folder");
    }
    let header = "order_id,account_id,date,amount\n";
    let day = |id: &str| format!("{header}{id},C1,2024-01-02,5.00\n");
    fs::write(root.join("orders/2024-01-02.csv"), day("R1")).unwrap();
    fs::write(root.join("orders/.2024-01-02.csv"), day("HIDDEN")).unwrap();
    fs::write(decoy.join("orders/2024-01-02.csv"), day("DECOY")).unwrap();
    let sources = r#"
[sources.orders]
path = "orders/*.csv"
currency = "USD"
[sources.orders.columns]
id = "order_id"
account = "account_id"
date = "date"
amount = "amount"
"#;
    let config_path = root.join("radar.toml");
    fs::write(&config_path, format!("{COMPANY}\n{sources}")).unwrap();
    let config = Config::load(&config_path).expect("the config loads");

    let ingested = ingest(&config, None).expect("ingest succeeds");
    assert_eq!(counts(&ingested, SourceKind::Orders), (1, 1, 0));
    assert_eq!(
        strs(frame(&ingested, SourceKind::Orders), "order_id"),
        some(&["R1"])
    );

    std::os::unix::fs::symlink(root.join("gone.csv"), root.join("orders/2024-01-03.csv")).unwrap();
    let error = ingest(&config, None)
        .expect_err("a dangling link")
        .to_string();
    assert!(error.contains("2024-01-03.csv"), "{error}");
    assert!(error.contains("is not a readable file"), "{error}");
}
