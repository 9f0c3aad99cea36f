//! An endpoint that accepts connections and never answers (a black-holing firewall, a hung
//! proxy): refresh ends at `timeouts.read` with an error naming it, and every attempt gives up
//! after its own answer timeout instead of waiting half a minute.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::support::{provider_block, provider_block_with, Emulator, TfDir};

/// A listener on 127.0.0.1 that accepts every connection and holds it open, silent, until
/// dropped.
struct SilentEndpoint {
    address: String,
    stop: Arc<AtomicBool>,
}

impl SilentEndpoint {
    fn start() -> SilentEndpoint {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a silent endpoint");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let address = listener.local_addr().expect("address").to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut held = Vec::new();
            // Bounded: at most ten minutes, however the test ends.
            for _ in 0..(10 * 60 * 20) {
                if stopping.load(Ordering::Relaxed) {
                    break;
                }
                while let Ok((stream, _)) = listener.accept() {
                    held.push(stream);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        SilentEndpoint { address, stop }
    }

    fn url(&self) -> String {
        format!("http://{}", self.address)
    }
}

impl Drop for SilentEndpoint {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn role(extra: &str) -> String {
    format!(
        "resource \"alicr_custom_oss_role\" \"r\" {{\n  bucket_names = [\"images\"]\n{extra}}}\n"
    )
}

/// A role created against the emulator, whose provider block then points at `endpoint`.
fn role_in_state(emulator: &Emulator, extra: &str) -> TfDir {
    let tf = TfDir::new(&format!(
        "{}\n{}",
        provider_block(&emulator.endpoint()),
        role(extra)
    ));
    tf.apply();
    tf
}

#[test]
fn a_silent_endpoint_ends_the_refresh_at_timeouts_read() {
    let emulator = Emulator::start();
    let silent = SilentEndpoint::start();
    let extra = "  timeouts {\n    read = \"3s\"\n  }\n";
    let tf = role_in_state(&emulator, extra);
    tf.write(
        "main.tf",
        &format!("{}\n{}", provider_block(&silent.url()), role(extra)),
    );
    let out = tf.run(&["plan", "-input=false", "-no-color"]);
    out.assert_failure();
    let text = out.all();
    assert!(text.contains("timeouts.read"), "{text}");
    assert!(
        text.contains("Reading RAM role"),
        "the pending read is named:\n{text}"
    );
}

#[test]
fn a_silent_endpoint_fails_each_attempt_on_its_answer_timeout() {
    let emulator = Emulator::start();
    let silent = SilentEndpoint::start();
    let tf = role_in_state(&emulator, "");
    // One attempt, no retries: the answer timeout alone must end it (timeouts.read, two
    // minutes by default, is far away).
    let provider = provider_block_with(&silent.url(), "max_retries = 0");
    tf.write("main.tf", &format!("{provider}\n{}", role("")));
    let out = tf.run(&["plan", "-input=false", "-no-color"]);
    out.assert_failure();
    let text = out.all();
    assert!(text.contains("Reading RAM role"), "{text}");
    assert!(
        text.to_lowercase().contains("timed out") || text.to_lowercase().contains("timeout"),
        "the error says the endpoint did not answer in time:\n{text}"
    );
    assert!(
        !text.contains("timeouts.read"),
        "the read limit was not reached:\n{text}"
    );
}
