//! Randomness and hashing for secrets: session tokens, channel epochs, join codes, one-time
//! passwords.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// `bytes` random bytes from the OS, as lowercase hex.
pub fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buffer);
    hex(&buffer)
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buffer = [0u8; N];
    OsRng.fill_bytes(&mut buffer);
    buffer
}

/// Only a hash of a session token is stored, so a leaked database holds no usable sessions.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A one-time password a person can type from a printout: 16 characters from an alphabet
/// without look-alikes (79 bits), in groups of four.
pub fn one_time_password() -> String {
    const ALPHABET: &[u8; 31] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut chars = Vec::with_capacity(16);
    while chars.len() < 16 {
        // Bytes from 248 up are dropped so every character is equally likely.
        for byte in random_bytes::<32>().into_iter().filter(|b| *b < 248) {
            if chars.len() < 16 {
                chars.push(ALPHABET[usize::from(byte % 31)] as char);
            }
        }
    }
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token(32);
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token(32));
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a).len(), 64);
    }

    #[test]
    fn one_time_passwords_are_long_typable_and_different() {
        let a = one_time_password();
        assert_eq!(a.len(), 19);
        assert!(a
            .chars()
            .all(|c| c == '-' || "abcdefghjkmnpqrstuvwxyz23456789".contains(c)));
        assert_ne!(a, one_time_password());
    }
}
