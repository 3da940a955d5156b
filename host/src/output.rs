//! Writing results to stdout. Every line goes through [`outln!`](crate::outln), which returns the
//! write error instead of panicking, so that `ferry ls -r | head` ends quietly: `main` treats a
//! broken pipe as success, as ripgrep does.

/// `println!` that propagates write errors with `?` (the enclosing function returns a `Result`
/// whose error converts from `std::io::Error`).
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

/// Is this error (anywhere in its chain) a write to a closed pipe?
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
