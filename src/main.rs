//! The `terraform-provider-alicr` binary: parse the few flags, then hand over to the library.

use std::process::ExitCode;

use clap::Parser;

/// Terraform provider for the Alibaba Cloud Container Registry custom-OSS-bucket RAM role.
/// Terraform starts this program; run it by hand only with --debug or --version.
#[derive(Parser)]
#[command(name = "terraform-provider-alicr", version, about)]
struct Args {
    /// Serve without TLS on a loopback port and print the TF_REATTACH_PROVIDERS value to attach
    /// Terraform to this process (for debugging).
    #[arg(long)]
    debug: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    terraform_provider_alicr::logging::init();
    // One thread: the provider's own work is a small share of each RPC (`make bench` puts it
    // under a tenth of a command's CPU; Terraform's side is the rest), so worker threads only
    // added start-up and cross-thread wake-ups. Measured against the multi-threaded runtime:
    // exec to handshake 1.5 vs 1.7 ms, provider CPU about a fifth lower at N=100.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("terraform-provider-alicr: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        if args.debug {
            terraform_provider_alicr::launch::run_debug().await
        } else {
            terraform_provider_alicr::launch::run_plugin().await
        }
    });
    // Don't wait for lingering tasks (an open stdio stream, say) once serving is over.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
