//! Random identifiers shaped like the real services' ones: request ids, role ids, temporary
//! access keys, security tokens and metadata tokens.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rand::distr::{Alphanumeric, SampleString};
use rand::Rng;

/// An upper-case UUID, like `04F0F334-1335-436C-A1D7-6C044FE73368`.
pub fn request_id() -> String {
    uuid::Uuid::new_v4().to_string().to_ascii_uppercase()
}

/// A numeric entity id of 18 digits, like RAM's role ids.
pub fn numeric_id() -> String {
    let n: u64 = rand::rng().random_range(100_000_000_000_000_000..1_000_000_000_000_000_000);
    n.to_string()
}

/// A temporary access key id, `STS.` followed by 25 alphanumerics.
pub fn sts_access_key_id() -> String {
    format!("STS.NT{}", Alphanumeric.sample_string(&mut rand::rng(), 23))
}

/// A 44-character access key secret.
pub fn access_key_secret() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 44)
}

/// A security token: `CAIS` and base64 of random bytes, like STS's.
pub fn security_token() -> String {
    let mut bytes = [0u8; 192];
    rand::rng().fill(&mut bytes[..]);
    format!("CAIS{}", BASE64.encode(bytes))
}

/// An ECS metadata session token.
pub fn metadata_token() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 56)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(request_id().len(), 36);
        assert_eq!(numeric_id().len(), 18);
        let ak = sts_access_key_id();
        assert!(ak.starts_with("STS.") && ak.len() == 29);
        assert_ne!(access_key_secret(), access_key_secret());
        assert!(security_token().starts_with("CAIS"));
    }
}
