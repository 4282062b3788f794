//! The feature catalogue: every column the model reads, in input order,
//! with the group it belongs to, what it measures and when it is null.
//!
//! `radar features` prints this list, and the score stage takes exactly
//! these columns, so a feature exists when it has an entry here and a
//! group module that fills its column.

/// One feature: its stable column name, what it measures, and its null rule.
pub struct FeatureSpec {
    pub name: &'static str,
    pub group: &'static str,
    pub description: &'static str,
    pub when_null: &'static str,
}

const fn spec(
    name: &'static str,
    group: &'static str,
    description: &'static str,
    when_null: &'static str,
) -> FeatureSpec {
    FeatureSpec {
        name,
        group,
        description,
        when_null,
    }
}

const NO_DEALS: &str = "no opportunities source";
const NO_CONTRACTS: &str = "no contracts source";
const NO_ORDERS: &str = "no orders source";
const NO_COMPLAINTS: &str = "no complaints source";
const NO_TICKETS: &str = "no tickets source";
const NO_WEB: &str = "no web_events source";
const NO_SOCIAL: &str = "no social source";
const NO_LIFETIME: &str = "no orders source, no order before D, or no usable fit at D \
     (fewer than 30 accounts with orders or 10 with repeat order days, or a degenerate fit)";
const NO_POLICIES: &str = "no policies source, or the account has no region";

/// Every feature this version computes, in output order: the groups of
/// DESIGN.md section 5 in its order, plus two extra order features and the
/// lifetime group (buy-till-you-die models fitted at each cut).
pub const CATALOGUE: &[FeatureSpec] = &[
    spec(
        "won_count_365d",
        "deals",
        "deals won in the 365 days before D",
        NO_DEALS,
    ),
    spec(
        "won_amount_365d",
        "deals",
        "base-currency value of deals won in 365 days",
        NO_DEALS,
    ),
    spec(
        "lost_count_365d",
        "deals",
        "deals lost in the 365 days before D",
        NO_DEALS,
    ),
    spec(
        "win_rate_365d",
        "deals",
        "won / (won + lost) over 365 days",
        "no deal closed in 365 days",
    ),
    spec(
        "days_since_last_win",
        "deals",
        "days from the last won deal to D",
        "never won",
    ),
    spec(
        "open_pipeline_amount",
        "deals",
        "value of deals open at D",
        NO_DEALS,
    ),
    spec("open_deal_count", "deals", "deals open at D", NO_DEALS),
    spec(
        "median_sales_cycle_days",
        "deals",
        "median days from creation to win",
        "never won",
    ),
    spec(
        "contracts_ending_90d",
        "contracts",
        "contracts started before D whose end day falls in the 90 days from D",
        NO_CONTRACTS,
    ),
    spec(
        "renewal_rate_3y",
        "contracts",
        "renewed / contracts that ended in the 3 years before D (flag known)",
        "no contract with a renewal flag ended in 3 years",
    ),
    spec(
        "days_to_next_end",
        "contracts",
        "days from D to the next end day of a contract started before D",
        "no contract ends on or after D",
    ),
    spec(
        "order_amount_90d",
        "orders",
        "value ordered in the 90 days before D, returns excluded",
        NO_ORDERS,
    ),
    spec(
        "order_amount_90d_vs_prior_90d",
        "orders",
        "order value of the last 90 days / the 90 before",
        "nothing ordered in the prior 90 days",
    ),
    spec(
        "return_rate_365d",
        "orders",
        "return lines / order lines over 365 days",
        "no order line in 365 days",
    ),
    spec(
        "days_since_last_order",
        "orders",
        "days from the last order to D",
        "never ordered",
    ),
    spec(
        "order_days_365d",
        "orders",
        "days with an order in the 365 days before D",
        NO_ORDERS,
    ),
    spec(
        "order_amount_365d",
        "orders",
        "value ordered in 365 days, returns excluded",
        NO_ORDERS,
    ),
    spec(
        "complaints_90d",
        "complaints",
        "complaints created in the 90 days before D",
        NO_COMPLAINTS,
    ),
    spec(
        "severe_complaints_90d",
        "complaints",
        "severe complaints created in the 90 days before D",
        NO_COMPLAINTS,
    ),
    spec(
        "open_complaints",
        "complaints",
        "complaints created before D and not resolved before D",
        NO_COMPLAINTS,
    ),
    spec(
        "tickets_90d",
        "tickets",
        "service tickets opened in the 90 days before D",
        NO_TICKETS,
    ),
    spec(
        "open_tickets",
        "tickets",
        "tickets opened before D and not closed before D",
        NO_TICKETS,
    ),
    spec(
        "median_resolution_hours_90d",
        "tickets",
        "median hours from opening to closing of tickets closed in 90 days",
        "no ticket closed in 90 days",
    ),
    spec(
        "mean_satisfaction_90d",
        "tickets",
        "mean satisfaction of tickets closed in 90 days",
        "no rated ticket closed in 90 days",
    ),
    spec(
        "web_events_30d",
        "web",
        "web events (sum of their counts) in the 30 days before D",
        NO_WEB,
    ),
    spec(
        "web_events_30d_vs_prior_30d",
        "web",
        "web events of the last 30 days / the 30 before",
        "no web event in the prior 30 days",
    ),
    spec(
        "pricing_views_30d",
        "web",
        "pricing page views in the 30 days before D",
        NO_WEB,
    ),
    spec(
        "demo_requests_30d",
        "web",
        "demo requests in the 30 days before D",
        NO_WEB,
    ),
    spec(
        "social_interactions_30d",
        "social",
        "social interactions in the 30 days before D",
        NO_SOCIAL,
    ),
    spec(
        "mean_sentiment_30d",
        "social",
        "mean sentiment (-1 to 1) of interactions in 30 days",
        "no interaction with a sentiment in 30 days",
    ),
    spec(
        "social_trend_30d_vs_prior_30d",
        "social",
        "interactions of the last 30 days / the 30 before",
        "no interaction in the prior 30 days",
    ),
    spec(
        "weeks_of_cover",
        "channel",
        "region's partner stock on hand / mean weekly units sold in 28 days",
        "no channel_inventory source, or no sale in the region in 28 days",
    ),
    spec(
        "sell_through_trend",
        "channel",
        "region's units sold in the last 30 days / the 30 before",
        "no channel_inventory source, or no sale in the region in the prior 30 days",
    ),
    spec(
        "competitor_price_gap",
        "competitors",
        "mean over the region's products of competitor / own price - 1, 30 days",
        "no competitor_prices source, or no product priced by both in 30 days",
    ),
    spec(
        "competitor_price_change_90d",
        "competitors",
        "mean over products of competitor price, last 30 d / the 30 d 90 d before, - 1",
        "no competitor_prices source, or no product priced in both windows",
    ),
    spec(
        "active_incentives",
        "policy",
        "incentives in force at D for the account's region and industry",
        NO_POLICIES,
    ),
    spec(
        "active_restrictions",
        "policy",
        "restrictions in force at D for the account's region and industry",
        NO_POLICIES,
    ),
    spec(
        "severe_weather_days_30d",
        "weather",
        "days with severe weather in the account's region in the 30 days before D",
        "no weather source, or no weather row for the region in 30 days",
    ),
    spec(
        "temperature_anomaly_30d",
        "weather",
        "region's mean temperature of 30 days minus that window in earlier years",
        "no weather source, or no temperature this year or in earlier years",
    ),
    spec(
        "holidays_next_14d",
        "holidays",
        "public holidays in the account's region in the 14 days from D",
        "no holidays source, or the calendar does not cover the region",
    ),
    spec(
        "fx_change_90d",
        "fx",
        "relative change of the account currency against base over 90 days",
        "no rates or unknown currency",
    ),
    spec(
        "fx_volatility_90d",
        "fx",
        "standard deviation of daily log changes over 90 days",
        "fewer than 2 rates in 90 days",
    ),
    spec(
        "commodity_change_90d",
        "commodities",
        "relative change of the industry's input prices over 90 days (symbol mean)",
        "no commodities source, no symbol for the industry, or < 2 closes",
    ),
    spec(
        "commodity_volatility_90d",
        "commodities",
        "std of log changes between closes of the industry's inputs, 90 days",
        "no commodities source, no symbol for the industry, or < 3 closes",
    ),
    spec(
        "tenure_days",
        "account",
        "days since the account was created or first seen",
        "creation date unknown",
    ),
    spec(
        "size_band",
        "account",
        "1: <50 staff, 2: <250, 3: <1000, 4: 1000 or more",
        "size unknown",
    ),
    spec(
        "p_alive",
        "lifetime",
        "BG/NBD probability that the account still buys, from its order days",
        NO_LIFETIME,
    ),
    spec(
        "expected_orders_horizon",
        "lifetime",
        "BG/NBD expected order days in the next model.horizon_days days",
        NO_LIFETIME,
    ),
    spec(
        "expected_order_value",
        "lifetime",
        "Gamma-Gamma expected value of an order day, base currency",
        "as p_alive, or no repeat order day of positive value, or no usable spend fit",
    ),
];

/// The model inputs, in the catalogue's order.
pub fn names() -> Vec<String> {
    CATALOGUE.iter().map(|f| f.name.to_string()).collect()
}
