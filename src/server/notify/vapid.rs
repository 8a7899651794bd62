//! The server's VAPID key pair (RFC 8292): made on first start and kept in the database
//! (`server_keys`, name `vapid_private_key`), so every instance signs with the same key and
//! browsers' subscriptions survive restarts. `rollcall rotate-vapid-keys` makes a new pair
//! and drops every subscription (a push service refuses pushes signed with another key).

use crate::server::store::Store;
use base64ct::{Base64UrlUnpadded, Encoding};
use web_push_native::jwt_simple::algorithms::{ECDSAP256PublicKeyLike, ES256KeyPair};

pub const VAPID_KEY_NAME: &str = "vapid_private_key";

pub struct Vapid {
    pub key: ES256KeyPair,
    /// The public key as browsers take it (`applicationServerKey`): the uncompressed P-256
    /// point, base64url.
    pub public_key: String,
    pub subject: String,
}

impl std::fmt::Debug for Vapid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the private key.
        f.debug_struct("Vapid")
            .field("public_key", &self.public_key)
            .finish()
    }
}

impl Vapid {
    /// Loads the key pair, making and storing it the first time.
    pub async fn load(store: &Store, subject: &str, now_ms: i64) -> Result<Vapid, String> {
        let stored = store
            .server_key(VAPID_KEY_NAME, new_private_key, now_ms)
            .await
            .map_err(|e| format!("cannot read the VAPID key: {}", e.message))?;
        Vapid::from_private(&stored, subject)
    }

    pub fn from_private(private_b64: &str, subject: &str) -> Result<Vapid, String> {
        let bytes = Base64UrlUnpadded::decode_vec(private_b64.trim())
            .map_err(|_| "the stored VAPID key is not base64url".to_string())?;
        let key = ES256KeyPair::from_bytes(&bytes)
            .map_err(|_| "the stored VAPID key is not a P-256 key".to_string())?;
        let public_key = Base64UrlUnpadded::encode_string(
            &key.public_key().public_key().to_bytes_uncompressed(),
        );
        Ok(Vapid {
            key,
            public_key,
            subject: subject.to_string(),
        })
    }
}

/// A new private key, base64url.
pub fn new_private_key() -> String {
    Base64UrlUnpadded::encode_string(&ES256KeyPair::generate().to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_key_gives_the_same_public_key() {
        let private = new_private_key();
        let a = Vapid::from_private(&private, "mailto:x@example.com").unwrap();
        let b = Vapid::from_private(&private, "mailto:x@example.com").unwrap();
        assert_eq!(a.public_key, b.public_key);
        // An uncompressed point: 65 bytes, starting with 4.
        let point = Base64UrlUnpadded::decode_vec(&a.public_key).unwrap();
        assert_eq!((point.len(), point[0]), (65, 4));
        assert!(!format!("{a:?}").contains(&private));
        assert!(Vapid::from_private("!!", "mailto:x").is_err());
    }
}
