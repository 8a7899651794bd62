//! The command line after the scenario name: `--key value` pairs.

use std::collections::HashMap;
use std::str::FromStr;

pub struct Args(HashMap<String, String>);

impl Args {
    pub fn parse(args: &[String]) -> Args {
        let mut map = HashMap::new();
        let mut iter = args.iter();
        while let Some(key) = iter.next() {
            if let Some(key) = key.strip_prefix("--") {
                map.insert(key.to_string(), iter.next().cloned().unwrap_or_default());
            }
        }
        Args(map)
    }

    /// `--key`, parsed; `default` when absent or unparsable.
    pub fn get<T: FromStr>(&self, key: &str, default: T) -> T {
        self.optional(key).unwrap_or(default)
    }

    /// `--key`, parsed; `None` when absent or unparsable.
    pub fn optional<T: FromStr>(&self, key: &str) -> Option<T> {
        self.0.get(key).and_then(|v| v.parse().ok())
    }

    pub fn text(&self, key: &str, default: &str) -> String {
        self.0
            .get(key)
            .cloned()
            .unwrap_or_else(|| default.to_string())
    }

    /// `--url`: the server under test.
    pub fn url(&self) -> String {
        self.text("url", "http://127.0.0.1:3000")
    }

    /// `--tokens`: the file `seed` writes and the other scenarios read.
    pub fn tokens_path(&self) -> String {
        self.text("tokens", "load-tokens.txt")
    }
}
