//! go-plugin's start-up contract: the magic cookie, the port range and the handshake line.

use std::net::{Ipv4Addr, SocketAddr};

use base64::Engine as _;
use tokio::net::TcpListener;

/// The cookie Terraform sets so a plugin can tell it is being run by Terraform.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// The value Terraform gives [`MAGIC_COOKIE_KEY`] (a fact of the protocol, not a secret).
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// go-plugin's own handshake version, the first field of the handshake line.
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// The Terraform plugin protocol major version we speak.
pub const APP_PROTOCOL_VERSION: u32 = 6;

/// What a person sees when starting the binary by hand.
pub const NOT_A_COMMAND_MESSAGE: &str = "This binary is a plugin. These are not meant to be \
executed directly.\nPlease execute the program that consumes these plugins, which will load \
any plugins automatically.\n\nterraform-provider-alicr is a Terraform provider: declare it in \
a `required_providers` block and run `terraform init`, or start it with --debug to attach \
Terraform to it by hand.";

/// Why the plugin refused to start.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    #[error("{NOT_A_COMMAND_MESSAGE}")]
    NotLaunchedByTerraform,
    #[error("Terraform asked for plugin protocol versions {0:?}; this provider speaks only 6")]
    UnsupportedProtocol(String),
    #[error("{name} must be a port number, got {value:?}")]
    BadPort { name: &'static str, value: String },
    #[error("no free port on 127.0.0.1 between {min} and {max}")]
    NoFreePort { min: u16, max: u16 },
}

/// Environment access, injectable so the rules are unit-testable: the crate's one `Env`.
pub use crate::alicloud::credentials::{Env, ProcessEnv};

/// Refuses to run unless Terraform started us and asked for a protocol we speak.
pub fn check_launched_by_terraform(env: &dyn Env) -> Result<(), HandshakeError> {
    if env.var(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(HandshakeError::NotLaunchedByTerraform);
    }
    if let Some(versions) = env.var("PLUGIN_PROTOCOL_VERSIONS") {
        let speaks_ours = versions
            .split(',')
            .any(|v| v.trim() == APP_PROTOCOL_VERSION.to_string());
        if !versions.trim().is_empty() && !speaks_ours {
            return Err(HandshakeError::UnsupportedProtocol(versions));
        }
    }
    Ok(())
}

/// The inclusive port range from `PLUGIN_MIN_PORT` / `PLUGIN_MAX_PORT`; `(0, 0)` means "any".
pub fn port_range(env: &dyn Env) -> Result<(u16, u16), HandshakeError> {
    let read = |name: &'static str| -> Result<u16, HandshakeError> {
        match env.var(name) {
            None => Ok(0),
            Some(value) if value.trim().is_empty() => Ok(0),
            Some(value) => value
                .trim()
                .parse()
                .map_err(|_| HandshakeError::BadPort { name, value }),
        }
    };
    let (min, max) = (read("PLUGIN_MIN_PORT")?, read("PLUGIN_MAX_PORT")?);
    Ok(if max < min { (min, min) } else { (min, max) })
}

/// Binds the first free loopback port in the range.
pub async fn bind_loopback(range: (u16, u16)) -> Result<TcpListener, HandshakeError> {
    let (min, max) = range;
    for port in min..=max {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        if let Ok(listener) = TcpListener::bind(addr).await {
            return Ok(listener);
        }
    }
    Err(HandshakeError::NoFreePort { min, max })
}

/// The one line go-plugin reads from our stdout: `1|6|tcp|ADDR|grpc|CERT`, where CERT is the
/// server certificate's DER in unpadded standard base64 (empty without TLS).
pub fn handshake_line(addr: SocketAddr, server_cert_der: Option<&[u8]>) -> String {
    let cert = server_cert_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!("{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|tcp|{addr}|grpc|{cert}")
}

/// The `TF_REATTACH_PROVIDERS` value for `--debug` mode.
pub fn reattach_value(provider_address: &str, addr: SocketAddr, pid: u32) -> String {
    serde_json::json!({
        provider_address: {
            "Protocol": "grpc",
            "ProtocolVersion": APP_PROTOCOL_VERSION,
            "Pid": pid,
            "Test": true,
            "Addr": { "Network": "tcp", "String": addr.to_string() },
        }
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alicloud::credentials::MapEnv;

    #[test]
    fn refuses_without_the_cookie() {
        let env = MapEnv::new();
        let err = check_launched_by_terraform(&env).unwrap_err();
        assert!(err.to_string().contains("This binary is a plugin"));
        let wrong = MapEnv::new().with(MAGIC_COOKIE_KEY, "nope");
        assert!(check_launched_by_terraform(&wrong).is_err());
    }

    #[test]
    fn accepts_the_cookie_and_protocol_six() {
        let env = MapEnv::new()
            .with(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
            .with("PLUGIN_PROTOCOL_VERSIONS", "5,6");
        assert!(check_launched_by_terraform(&env).is_ok());
        let old = MapEnv::new()
            .with(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
            .with("PLUGIN_PROTOCOL_VERSIONS", "5");
        assert!(matches!(
            check_launched_by_terraform(&old),
            Err(HandshakeError::UnsupportedProtocol(_))
        ));
    }

    #[test]
    fn reads_the_port_range() {
        let env = MapEnv::new()
            .with("PLUGIN_MIN_PORT", "10000")
            .with("PLUGIN_MAX_PORT", "25000");
        assert_eq!(port_range(&env).unwrap(), (10000, 25000));
        assert_eq!(port_range(&MapEnv::new()).unwrap(), (0, 0));
        let bad = MapEnv::new().with("PLUGIN_MIN_PORT", "ten");
        assert!(port_range(&bad)
            .unwrap_err()
            .to_string()
            .contains("PLUGIN_MIN_PORT"));
    }

    #[tokio::test]
    async fn binds_inside_the_range() {
        let first = bind_loopback((0, 0)).await.unwrap();
        let taken = first.local_addr().unwrap().port();
        // The taken port is skipped; the next one in the range is used if free.
        if taken < u16::MAX {
            if let Ok(listener) = bind_loopback((taken, taken + 1)).await {
                assert_eq!(listener.local_addr().unwrap().port(), taken + 1);
            }
        }
        assert!(matches!(
            bind_loopback((taken, taken)).await,
            Err(HandshakeError::NoFreePort { .. })
        ));
    }

    #[test]
    fn formats_the_handshake_line() {
        let addr: SocketAddr = "127.0.0.1:12345".parse().unwrap();
        assert_eq!(handshake_line(addr, None), "1|6|tcp|127.0.0.1:12345|grpc|");
        // Unpadded: 4 bytes would need "==" padding in padded base64.
        assert_eq!(
            handshake_line(addr, Some(&[1, 2, 3, 4])),
            "1|6|tcp|127.0.0.1:12345|grpc|AQIDBA"
        );
    }

    #[test]
    fn reattach_value_is_terraform_json() {
        let addr: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let json: serde_json::Value = serde_json::from_str(&reattach_value(
            "registry.terraform.io/alicr/alicr",
            addr,
            7,
        ))
        .unwrap();
        let entry = &json["registry.terraform.io/alicr/alicr"];
        assert_eq!(entry["ProtocolVersion"], 6);
        assert_eq!(entry["Addr"]["String"], "127.0.0.1:4000");
    }
}
