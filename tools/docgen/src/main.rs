//! `alicr-docgen [--check] [--root DIR]`: regenerate the schema sections of `docs/` (default),
//! or, with `--check`, fail listing every page that differs from what would be generated.

use std::path::PathBuf;
use std::process::ExitCode;

use alicr_docgen::{check, write, Finding, Sources};

const USAGE: &str = "usage: alicr-docgen [--check] [--root DIR]";

struct Args {
    check: bool,
    root: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        check: false,
        root: PathBuf::from("."),
    };
    let mut raw = std::env::args().skip(1);
    while let Some(arg) = raw.next() {
        match arg.as_str() {
            "--check" => args.check = true,
            "--root" => args.root = raw.next().map(PathBuf::from).ok_or(USAGE)?,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(args)
}

fn report(findings: &[Finding]) {
    for finding in findings {
        eprintln!("  {finding}");
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let sources = Sources::current();
    if args.check {
        let findings = check(&args.root, &sources);
        if findings.is_empty() {
            println!("docs are up to date");
            return ExitCode::SUCCESS;
        }
        eprintln!("docs/ differs from what the schemas generate (run `make docs` and commit):");
        report(&findings);
        return ExitCode::FAILURE;
    }
    match write(&args.root, &sources) {
        Ok(changed) if changed.is_empty() => println!("docs are up to date"),
        Ok(changed) => changed
            .iter()
            .for_each(|page| println!("regenerated {}", page.display())),
        Err(findings) => {
            eprintln!("cannot regenerate docs/:");
            report(&findings);
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
