//! The generated company's world: currencies, sales regions with their
//! teams, time zones and holidays, industries, products, and the words
//! company names are made of (Chinese names for accounts in China).

use chrono_tz::Tz;

#[derive(Debug)]
pub struct Currency {
    pub code: &'static str,
    /// Long-run value of one unit in EUR; list prices are set at this level.
    pub eur_per_unit: f64,
    pub daily_volatility: f64,
    pub rate_decimals: usize,
    pub minor_digits: u32,
}

pub const EUR: Currency = Currency {
    code: "EUR",
    eur_per_unit: 1.0,
    daily_volatility: 0.0,
    rate_decimals: 6,
    minor_digits: 2,
};
pub const GBP: Currency = Currency {
    code: "GBP",
    eur_per_unit: 1.17,
    daily_volatility: 0.0035,
    rate_decimals: 6,
    minor_digits: 2,
};
pub const USD: Currency = Currency {
    code: "USD",
    eur_per_unit: 0.92,
    daily_volatility: 0.0045,
    rate_decimals: 6,
    minor_digits: 2,
};
pub const CNY: Currency = Currency {
    code: "CNY",
    eur_per_unit: 0.13,
    daily_volatility: 0.004,
    rate_decimals: 6,
    minor_digits: 2,
};
pub const JPY: Currency = Currency {
    code: "JPY",
    eur_per_unit: 0.0062,
    daily_volatility: 0.0055,
    rate_decimals: 8,
    minor_digits: 0,
};

/// The currencies quoted against EUR in `fx_rates.csv`.
pub const QUOTED: [&Currency; 4] = [&GBP, &USD, &CNY, &JPY];

/// A fixed-date public holiday: month, day, name.
type Holiday = (u32, u32, &'static str);

/// A sales region: one country with its team, cities and holidays.
#[derive(Debug)]
pub struct Region {
    pub name: &'static str,
    /// ISO 3166 code; the holiday feed names countries this way.
    pub code: &'static str,
    pub currency: &'static Currency,
    pub time_zone: &'static str,
    pub zone: Tz,
    /// Share of the account base in this region.
    pub weight: f64,
    pub legal_form: &'static str,
    pub cities: [&'static str; 4],
    /// Empty where the post is vacant.
    pub director: &'static str,
    pub success_owner: &'static str,
    pub sales_reps: [&'static str; 2],
    pub holidays: &'static [Holiday],
}

pub static REGIONS: [Region; 6] = [
    Region {
        name: "Germany",
        code: "DE",
        currency: &EUR,
        time_zone: "Europe/Berlin",
        zone: Tz::Europe__Berlin,
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
        zone: Tz::Europe__Paris,
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
        zone: Tz::Europe__London,
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
        zone: Tz::America__New_York,
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
        zone: Tz::Asia__Shanghai,
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
        zone: Tz::Asia__Tokyo,
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
pub struct Market {
    pub region: &'static str,
    pub size_bn: f64,
    pub growth: (f64, f64),
}

/// Account regions first, then three regions without a single account.
pub static MARKETS: [Market; 9] = [
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

pub const fn market(region: &'static str, size_bn: f64, low: f64, high: f64) -> Market {
    Market {
        region,
        size_bn,
        growth: (low, high),
    }
}

/// Industry, its share of a region's market and words for company names.
#[derive(Debug)]
pub struct Industry {
    pub name: &'static str,
    pub market_share: f64,
    pub name_words: [&'static str; 4],
}

pub static INDUSTRIES: [Industry; 5] = [
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

pub static NAME_STEMS: [&str; 24] = [
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
pub struct Product {
    pub name: &'static str,
    pub list_price_eur: f64,
    /// Most units on one order line of a small customer.
    pub units: u32,
    /// Relative frequency on order lines.
    pub weight: f64,
}

pub static PRODUCTS: [Product; 6] = [
    product("Sensor Pack", 180.0, 12, 3.0),
    product("Spare Parts Kit", 95.0, 20, 3.0),
    product("Drive Module", 820.0, 6, 2.0),
    product("Control Unit", 1450.0, 4, 1.5),
    product("Service Plan", 2400.0, 1, 0.8),
    product("Analytics Licence", 3600.0, 2, 0.5),
];

pub const fn product(name: &'static str, list_price_eur: f64, units: u32, weight: f64) -> Product {
    Product {
        name,
        list_price_eur,
        units,
        weight,
    }
}

/// Words of Chinese company names: a trade name, then the industry's word,
/// then the legal form. Every character is in GBK.
pub static CN_STEMS: [&str; 12] = [
    "金海", "东方", "华信", "长城", "宏达", "恒瑞", //
    "新元", "南方", "天成", "瑞丰", "鼎盛", "汇通",
];
pub static CN_INDUSTRY_WORDS: [[&str; 2]; 5] = [
    ["机械", "精工"],
    ["商贸", "百货"],
    ["医疗", "医药"],
    ["能源", "电力"],
    ["物流", "货运"],
];
pub const CN_LEGAL_FORM: &str = "有限公司";
pub static CN_CITIES: [&str; 4] = ["东山", "金海", "新元", "南河"];

/// Regions the company does not sell in yet: the market knows them, the
/// accounts do not. White space should be found here.
pub static OPEN_REGIONS: [(&str, &str, &str); 3] = [
    ("Brazil", "BR", "Brasil"),
    ("India", "IN", "Bharat"),
    ("Canada", "CA", "Canada"),
];

/// Each region's own name for itself, for the regions reference list.
pub fn local_name(region: &Region) -> &'static str {
    match region.code {
        "DE" => "Deutschland",
        "FR" => "France",
        "GB" => "Great Britain",
        "US" => "USA",
        "CN" => "中国",
        _ => "Nihon",
    }
}

/// Resellers that stock our products, two per region.
pub static PARTNERS: [&str; 2] = ["Northline Distribution", "Keystone Supply"];

/// Competitors whose list prices are tracked, with how they price
/// against our list price.
pub static COMPETITORS: [(&str, f64); 3] = [
    ("Vantor Systems", 0.92),
    ("Helix Controls", 1.05),
    ("Sanwei Tech", 0.85),
];

/// The company itself, as its own prices are labelled in the price feed.
pub const OWN_NAME: &str = "Brightmoor Instruments";

/// Commodity series: symbol, starting close, daily volatility and the
/// industries whose input costs follow it.
pub static COMMODITIES: [(&str, f64, f64, &[&str]); 4] = [
    ("STEEL", 620.0, 0.012, &["manufacturing", "logistics"]),
    ("COPPER", 8400.0, 0.014, &["manufacturing", "energy"]),
    ("BRENT", 82.0, 0.02, &["energy", "logistics"]),
    ("PULP", 910.0, 0.01, &["retail", "healthcare"]),
];

/// Complaint categories, with the wording used for accounts in China.
pub static COMPLAINT_CATEGORIES: [(&str, &str); 4] = [
    ("delivery delay", "交货延迟"),
    ("product defect", "产品缺陷"),
    ("billing error", "账单错误"),
    ("service quality", "服务质量"),
];
