//! Matching the region names that different sources write to one region.
//!
//! The org and regions sources list the regions; each of its rows may carry alias
//! columns (ISO codes, short names). Config aliases add spellings found in
//! exports, such as `EIRE` for Ireland. A name that matches nothing is kept
//! as written, so it still shows up, unmatched, in the outputs.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct RegionResolver {
    /// Lower-cased spelling -> canonical region name.
    names: BTreeMap<String, String>,
    /// Config aliases: lower-cased spelling -> a spelling `names` knows.
    aliases: BTreeMap<String, String>,
    known: bool,
}

impl RegionResolver {
    pub fn new(config_aliases: &BTreeMap<String, String>) -> RegionResolver {
        let aliases = config_aliases
            .iter()
            .map(|(from, to)| (key(from), to.trim().to_string()))
            .collect();
        RegionResolver {
            names: BTreeMap::new(),
            aliases,
            known: false,
        }
    }

    /// Declares a region with the other names it goes by.
    pub fn add(&mut self, region: &str, other_names: &[String]) {
        self.known = true;
        let region = region.trim().to_string();
        for name in other_names.iter().chain(std::iter::once(&region)) {
            if !name.trim().is_empty() {
                self.names
                    .entry(key(name))
                    .or_insert_with(|| region.clone());
            }
        }
    }

    /// The canonical name of `name`, or `name` trimmed when nothing matches.
    pub fn resolve(&self, name: &str) -> String {
        let spelled = self.aliases.get(&key(name)).map_or(name, String::as_str);
        match self.names.get(&key(spelled)) {
            Some(region) => region.clone(),
            None => spelled.trim().to_string(),
        }
    }

    /// Whether `name` resolves to a region the org or regions source declares.
    pub fn is_known(&self, name: &str) -> bool {
        !self.known || self.names.contains_key(&key(name))
    }
}

fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_codes_aliases_and_keeps_unknown_names() {
        let aliases = BTreeMap::from([("EIRE".to_string(), "IE".to_string())]);
        let mut regions = RegionResolver::new(&aliases);
        regions.add("Ireland", &["IE".into(), "IRL".into()]);

        assert_eq!(regions.resolve("eire"), "Ireland");
        assert_eq!(regions.resolve("IRL"), "Ireland");
        assert_eq!(regions.resolve(" Ireland "), "Ireland");
        assert_eq!(regions.resolve("Channel Islands"), "Channel Islands");
        assert!(regions.is_known("Ireland"));
        assert!(!regions.is_known("Channel Islands"));
    }
}
