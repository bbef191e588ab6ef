//! Query strings, checked: every parameter must be one the route knows, appear once and parse;
//! what is wrong is a 400 naming the parameter.

use crate::error::ApiError;
use std::collections::BTreeMap;

/// Longest accepted query value, in bytes.
pub const MAX_VALUE: usize = 1024;

/// The parameters of one request.
#[derive(Debug, Default)]
pub struct Params {
    map: BTreeMap<String, String>,
}

impl Params {
    /// Parses `query` (without `?`), allowing only the names in `known`.
    pub fn parse(query: Option<&str>, known: &[&str]) -> Result<Params, ApiError> {
        let mut map = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            if k.is_empty() && v.is_empty() {
                continue;
            }
            if !known.contains(&k.as_ref()) {
                let allowed = if known.is_empty() {
                    "this route takes no query parameters".to_string()
                } else {
                    format!("known: {}", known.join(", "))
                };
                return Err(ApiError::field(
                    truncate(&k),
                    format!("unknown query parameter '{}' ({allowed})", truncate(&k)),
                ));
            }
            if v.len() > MAX_VALUE {
                return Err(ApiError::field(
                    k.as_ref(),
                    format!("'{k}' is {} bytes long; at most {MAX_VALUE}", v.len()),
                ));
            }
            if map.insert(k.to_string(), v.to_string()).is_some() {
                return Err(ApiError::field(
                    k.as_ref(),
                    format!("'{k}' is given more than once"),
                ));
            }
        }
        Ok(Params { map })
    }

    /// The raw value of `name`, if given (an empty value counts as not given).
    pub fn str(&self, name: &str) -> Option<&str> {
        self.map
            .get(name)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// A required value.
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.str(name)
            .ok_or_else(|| ApiError::field(name, format!("'{name}' is required")))
    }

    /// An unsigned integer in `[min, max]`.
    pub fn uint(&self, name: &str, min: u64, max: u64) -> Result<Option<u64>, ApiError> {
        let Some(s) = self.str(name) else {
            return Ok(None);
        };
        match s.parse::<u64>() {
            Ok(v) if (min..=max).contains(&v) => Ok(Some(v)),
            _ => Err(ApiError::field(
                name,
                format!(
                    "'{name}' must be a whole number from {min} to {max}, got '{}'",
                    truncate(s)
                ),
            )),
        }
    }

    /// A number (finite).
    pub fn num(&self, name: &str) -> Result<Option<f64>, ApiError> {
        let Some(s) = self.str(name) else {
            return Ok(None);
        };
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => Err(ApiError::field(
                name,
                format!("'{name}' must be a finite number, got '{}'", truncate(s)),
            )),
        }
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        let Some(s) = self.str(name) else {
            return Ok(None);
        };
        match s.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Some(true)),
            "false" | "0" | "no" => Ok(Some(false)),
            _ => Err(ApiError::field(
                name,
                format!("'{name}' must be true or false, got '{}'", truncate(s)),
            )),
        }
    }

    /// A comma-separated list (empty items dropped).
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        self.str(name).map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        })
    }
}

/// `s` cut to 64 characters for an error message.
pub fn truncate(s: &str) -> String {
    if s.chars().count() <= 64 {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(64).collect();
        t.push('…');
        t
    }
}
