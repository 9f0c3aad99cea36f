//! Exec to handshake: the time from starting the provider to reading go-plugin's handshake line
//! on its stdout, with the environment Terraform gives it (magic cookie, protocol 6, port range
//! and a P-521 client certificate), so the AutoMTLS set-up is part of what is timed.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{anyhow, bail, Context as _};
use base64::Engine as _;

use crate::stats::Samples;

/// go-plugin's cookie for Terraform providers (a protocol constant, not a secret).
const MAGIC_COOKIE: (&str, &str) = (
    "TF_PLUGIN_MAGIC_COOKIE",
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
);

/// Untimed starts before measuring, so the page cache holds the binary as it does for Terraform,
/// which has just started the same provider for an earlier walk.
const WARM_UP_STARTS: usize = 3;

/// A client certificate like the one Terraform makes for each provider it starts (go-plugin's
/// AutoMTLS: ECDSA P-521, self-signed, a CA for `localhost`), as PEM. Made once per run.
pub fn client_certificate_pem() -> anyhow::Result<String> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let key =
        KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).context("generating a P-521 key")?;
    let mut params =
        CertificateParams::new(vec!["localhost".to_string()]).context("certificate parameters")?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "alicr-bench");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyAgreement,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ClientAuth,
        ExtendedKeyUsagePurpose::ServerAuth,
    ];
    let cert = params.self_signed(&key).context("self-signing")?;
    Ok(cert.pem())
}

/// Where the provider listens: TCP on loopback (ours), or a Unix socket (go-plugin's default
/// on Unix, as the framework provider does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listener {
    Tcp(SocketAddr),
    Unix(String),
}

/// What the handshake line announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeLine {
    pub addr: Listener,
    /// Length of the server certificate (DER); zero would mean no TLS.
    pub server_cert_len: usize,
}

/// Parses `1|6|tcp|127.0.0.1:PORT|grpc|BASE64-DER` (or `1|6|unix|/PATH|grpc|…`) and checks
/// every field.
pub fn parse_line(line: &str) -> anyhow::Result<HandshakeLine> {
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    let [core, app, network, addr, protocol, cert] = fields.as_slice() else {
        bail!(
            "handshake line has {} fields, not 6: {line:?}",
            fields.len()
        );
    };
    if (*core, *app, *protocol) != ("1", "6", "grpc") {
        bail!("unexpected handshake line {line:?}");
    }
    let addr = match *network {
        "tcp" => {
            let addr: SocketAddr = addr
                .parse()
                .with_context(|| format!("handshake address {addr:?}"))?;
            if !addr.ip().is_loopback() {
                bail!("the provider listens on {addr}, not on loopback");
            }
            Listener::Tcp(addr)
        }
        "unix" if addr.starts_with('/') => Listener::Unix((*addr).to_string()),
        _ => bail!("unexpected handshake network {network:?} {addr:?}"),
    };
    let der = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(cert)
        .context("handshake certificate is not unpadded base64")?;
    if der.is_empty() {
        bail!("the handshake line carries no server certificate (AutoMTLS off)");
    }
    Ok(HandshakeLine {
        addr,
        server_cert_len: der.len(),
    })
}

/// Starts `binary` as Terraform would and times exec to handshake line, `reps` times.
pub fn measure(binary: &Path, client_cert_pem: &str, reps: usize) -> anyhow::Result<Samples> {
    for _ in 0..WARM_UP_STARTS {
        start_once(binary, client_cert_pem)?;
    }
    let mut samples = Samples::new();
    for _ in 0..reps {
        let (elapsed, _) = start_once(binary, client_cert_pem)?;
        samples.push_duration(elapsed);
    }
    Ok(samples)
}

fn start_once(
    binary: &Path,
    client_cert_pem: &str,
) -> anyhow::Result<(std::time::Duration, HandshakeLine)> {
    let mut command = Command::new(binary);
    command
        .env(MAGIC_COOKIE.0, MAGIC_COOKIE.1)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_CLIENT_CERT", client_cert_pem)
        .env_remove("TF_DISABLE_PLUGIN_TLS")
        .env_remove("TF_LOG")
        .env_remove("TF_LOG_PROVIDER")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let (elapsed, line, mut child) = first_line(command)?;
    // Only this child, which we started, by its handle.
    let _ = child.kill();
    let _ = child.wait();
    let parsed = parse_line(&line)?;
    if let Listener::Unix(path) = &parsed.addr {
        // Killed, it could not remove its socket (go-plugin's, under the temporary directory).
        let _ = std::fs::remove_file(path);
    }
    Ok((elapsed, parsed))
}

/// Spawns `command` and times it to its first stdout line.
fn first_line(
    mut command: Command,
) -> anyhow::Result<(std::time::Duration, String, std::process::Child)> {
    let started = Instant::now();
    let mut child = command.spawn().context("starting the process")?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow!("stdout not captured"))?;
    let mut line = String::new();
    let read = BufReader::new(stdout).read_line(&mut line);
    let elapsed = started.elapsed();
    if let Err(error) = read {
        let _ = child.kill();
        let _ = child.wait();
        return Err(error).context("reading the first line");
    }
    Ok((elapsed, line, child))
}

/// The floor under any exec-to-first-line time on this machine: `echo` started the same way.
pub fn measure_spawn_floor(reps: usize) -> anyhow::Result<Samples> {
    let mut samples = Samples::new();
    for _ in 0..reps {
        let mut command = Command::new("echo");
        command
            .arg("ready")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let (elapsed, line, mut child) = first_line(command)?;
        let _ = child.wait();
        if line.trim() != "ready" {
            bail!("echo printed {line:?}");
        }
        samples.push_duration(elapsed);
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_tls_handshake_line() {
        let parsed = parse_line("1|6|tcp|127.0.0.1:10000|grpc|AQIDBA\n").unwrap();
        assert_eq!(
            parsed.addr,
            Listener::Tcp("127.0.0.1:10000".parse().unwrap())
        );
        assert_eq!(parsed.server_cert_len, 4);
        // go-plugin's default on Unix, as the framework provider prints it.
        let parsed = parse_line("1|6|unix|/tmp/plugin1371663249|grpc|AQIDBA\n").unwrap();
        assert_eq!(parsed.addr, Listener::Unix("/tmp/plugin1371663249".into()));
    }

    #[test]
    fn rejects_lines_that_are_not_a_tls_protocol_6_handshake() {
        for bad in [
            "1|5|tcp|127.0.0.1:10000|grpc|AQIDBA",
            "1|6|tcp|127.0.0.1:10000|grpc|",
            "1|6|tcp|10.0.0.1:10000|grpc|AQIDBA",
            "1|6|unix|relative|grpc|AQIDBA",
            "1|6|udp|127.0.0.1:10000|grpc|AQIDBA",
            "1|6|tcp|127.0.0.1:10000|netrpc|AQIDBA",
            "This binary is a plugin.",
        ] {
            assert!(parse_line(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_client_certificate_is_a_p521_pem() {
        let pem = client_certificate_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
        // The P-521 curve's object identifier (1.3.132.0.35) in DER: 06 05 2B 81 04 00 23.
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        assert!(der
            .windows(7)
            .any(|w| w == [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x23]));
    }
}
