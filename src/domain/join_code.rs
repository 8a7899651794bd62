use serde::{Deserialize, Serialize};
use std::fmt;

/// Letters and digits that cannot be confused when read off a projector (no 0/O, 1/I/L).
pub const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const LENGTH: usize = 6;

/// The short code a teacher shows and students type to check in, e.g. `K7QM2X`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JoinCode(String);

impl JoinCode {
    /// Accepts what a person types: any case, spaces or dashes between characters.
    pub fn parse(text: &str) -> Result<JoinCode, String> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if cleaned.is_empty() {
            return Err("Enter the join code shown by your teacher.".into());
        }
        if cleaned.chars().count() != LENGTH || !cleaned.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(format!(
                "A join code is {LENGTH} letters and digits, like K7QM2X. Check the code on the board."
            ));
        }
        Ok(JoinCode(cleaned))
    }

    /// Builds a code from uniformly random bytes (the caller supplies the randomness, or an
    /// HMAC for a rotating code). Bytes at or above the largest multiple of the alphabet's size
    /// are skipped, so every character is equally likely; 32 bytes run short of six usable
    /// ones about once in 10^40 draws, and then the last characters repeat a usable byte.
    pub fn from_random(bytes: [u8; 32]) -> JoinCode {
        let size = ALPHABET.len();
        let limit = (256 / size * size) as u8;
        let mut usable: Vec<u8> = bytes.iter().copied().filter(|b| *b < limit).collect();
        let filler = usable.first().copied().unwrap_or(0);
        usable.resize(usable.len().max(LENGTH), filler);
        JoinCode(
            usable[..LENGTH]
                .iter()
                .map(|b| ALPHABET[*b as usize % size] as char)
                .collect(),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JoinCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for JoinCode {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        JoinCode::parse(&value)
    }
}

impl From<JoinCode> for String {
    fn from(code: JoinCode) -> String {
        code.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_people_type() {
        assert_eq!(JoinCode::parse(" k7q-m2x ").unwrap().as_str(), "K7QM2X");
        assert_eq!(JoinCode::parse("K7 QM 2X").unwrap().as_str(), "K7QM2X");
    }

    #[test]
    fn refuses_malformed_codes_with_a_reason() {
        assert!(JoinCode::parse("").unwrap_err().contains("Enter"));
        assert!(JoinCode::parse("K7QM2").unwrap_err().contains("6 letters"));
        assert!(JoinCode::parse("K7QM2XX").is_err());
        // 0, O, 1, I are excluded so nobody has to guess which one it was.
        assert!(JoinCode::parse("K7QM20").is_err());
        assert!(JoinCode::parse("K7QMI2").is_err());
        assert!(JoinCode::parse("K7QMé2").is_err());
    }

    #[test]
    fn random_codes_always_parse() {
        for seed in 0..=255u8 {
            let mut bytes = [255u8; 32];
            bytes[..6].copy_from_slice(&[seed, seed.wrapping_mul(7), 3, 200, 255, seed ^ 0x55]);
            let code = JoinCode::from_random(bytes);
            assert_eq!(JoinCode::parse(code.as_str()).unwrap(), code);
        }
        // All bytes unusable (never in practice): still a valid code.
        assert!(JoinCode::parse(JoinCode::from_random([255; 32]).as_str()).is_ok());
    }

    #[test]
    fn bytes_past_the_last_whole_alphabet_are_skipped() {
        // 248..=255 would favour the first eight characters; they are passed over.
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&[248, 249, 250, 251, 252, 253, 254, 255]);
        bytes[8..14].copy_from_slice(&[1, 2, 3, 4, 5, 6]);
        assert_eq!(JoinCode::from_random(bytes).as_str(), "BCDEFG");
    }
}
