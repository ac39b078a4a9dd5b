//! The `reviewradar` binary: parse the command line, run the command, map the result
//! to an exit code (0 ok, 1 runtime failure, 2 usage, 78 config error).

use std::process::ExitCode;

use clap::Parser;
use reviewradar::cli::{self, Cli, exit};

/// glibc's defaults suit short programs: an arena per thread, and a trim threshold
/// that rises with every large free. For a daemon whose threads free big parsed
/// documents all day, that is memory held but unused. Two arenas and a fixed trim
/// threshold keep the resident size close to what is live.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: mallopt only changes allocator parameters; called before any thread
    // is started.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

fn main() -> ExitCode {
    tune_allocator();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Store work is serialized anyway; few blocking threads keep memory flat.
        .max_blocking_threads(4)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("reviewradar: cannot start the runtime: {e}");
            return ExitCode::from(exit::RUNTIME);
        }
    };
    let result = runtime.block_on(cli::execute(cli));
    // Do not wait for abandoned tasks (e.g. a request past the grace period).
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    match result {
        Ok(()) => ExitCode::from(exit::OK),
        Err(f) => {
            eprintln!("reviewradar: error: {:#}", f.error);
            ExitCode::from(f.code)
        }
    }
}
