//! Progress lines on stderr (`[  42s] scale N=100: repetition 3/7`), so a long run shows where
//! it is; the report itself goes to a file.

use std::sync::OnceLock;
use std::time::Instant;

fn started() -> Instant {
    static STARTED: OnceLock<Instant> = OnceLock::new();
    *STARTED.get_or_init(Instant::now)
}

/// Starts the clock the progress lines count from.
pub fn start() {
    started();
}

/// Seconds since [`start`].
pub fn elapsed_secs() -> u64 {
    started().elapsed().as_secs()
}

pub fn step(message: &str) {
    eprintln!("[{:>5}s] {message}", elapsed_secs());
}
