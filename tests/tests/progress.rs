//! The progress bar on a terminal (a pseudo-terminal here): files and bytes done of the total,
//! the rate and the time left; and the summary line wrapped at its commas when the terminal is
//! narrower than it.

use std::time::Duration;

use expectrl::{Eof, Expect, Session};
use ferry_tests::*;

#[test]
fn the_bar_shows_files_bytes_rate_and_eta_and_the_summary_fits_the_terminal() {
    let pair = Pair::new();
    for name in ["a", "b", "c", "d"] {
        put(&pair.src, &format!("{name}.bin"), &vec![1u8; 256 << 10]);
    }
    let (src, dst) = (pair.src.to_str().unwrap(), pair.dst.to_str().unwrap());
    // Slow enough for the bar to be drawn: 1 MiB at 400 KiB/s.
    let mut command = pair.command(&["sync", "--bwlimit", "400K", src, dst]);
    command.env("TERM", "xterm-256color").env("COLUMNS", "60");
    let mut session = Session::spawn(command).expect("spawn ferry on a pty");
    session.set_expect_timeout(Some(Duration::from_secs(30)));
    session.expect("/4 files").unwrap();
    session.expect("/1.00 MiB").unwrap();
    session.expect("ETA").unwrap();
    session
        .expect("4 uploaded, 0 downloaded, 0 unchanged, 0 conflicts,\r\n  0 invalid, 0 deleted, 0 failed — 1.0 MiB in ")
        .unwrap();
    session.expect(Eof).unwrap();
    assert_eq!(tree(&pair.dst).len(), 4);
}
