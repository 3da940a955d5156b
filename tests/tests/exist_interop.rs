//! The eXist REST test server checked by a real third-party client: exist-shell (`exsh`, PyPI
//! exist-shell 0.2.0, installed by scripts/install-test-servers.sh). exsh creates a collection
//! through its XQuery, lists, puts and cats documents, and pushes and pulls with `exsh sync`;
//! ferry reads what exsh wrote and exsh reads what ferry wrote. exsh's known bug with encoded
//! names (exist-rest.md §14: it quotes listed names a second time) shows up exactly as a real
//! eXist would make it show up.

use std::{path::Path, process::Command};

use ferry_tests::{exist::ExistServer, servers::PASSWORD, *};

struct Exsh {
    home: tempfile::TempDir,
}

impl Exsh {
    fn new(server: &ExistServer) -> Self {
        let home = tempfile::tempdir().unwrap();
        let config = home.path().join("exsh.toml");
        std::fs::write(
            &config,
            format!(
                "[servers.local]\nhost = \"127.0.0.1\"\nport = {}\nuser = \"admin\"\npassword = \"{PASSWORD}\"\n\n[collections.mydata]\nserver_nick = \"local\"\nname = \"interop\"\n",
                server.port
            ),
        )
        .unwrap();
        // exsh warns about a config file others can read.
        std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        Exsh { home }
    }

    fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
        let mut command = Command::new("exsh");
        command
            .args(args)
            .env("EXSH_CONFIG", self.home.path().join("exsh.toml"))
            .env("HOME", self.home.path())
            .env("NO_COLOR", "1")
            .env_remove("XDG_CACHE_HOME")
            .current_dir(self.home.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = command
            .spawn()
            .expect("exsh (pip install exist-shell; scripts/install-test-servers.sh does it)");
        {
            use std::io::Write;
            let mut input = child.stdin.take().unwrap();
            if let Some(bytes) = stdin {
                input.write_all(bytes).unwrap();
            }
        }
        let output = child.wait_with_output().unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args, None);
        assert_eq!(code, 0, "exsh {args:?}: {out} {err}");
        out
    }
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn exist_shell_and_ferry_agree_on_the_test_server() {
    let server = ExistServer::start();
    let exsh = Exsh::new(&server);
    let pair = Pair::new();

    // exsh mkdir runs xmldb:create-collection through POST _query.
    exsh.ok(&["mkdir", "mydata:/reports"]);
    assert_eq!(server.names("/db/interop"), ["reports/"]);

    // exsh sync push; ferry then pulls what exsh stored.
    let source = pair.root.path().join("exsh-src");
    put(&source, "a.xml", b"<report><x>1</x></report>");
    put(&source, "notes.txt", b"plain notes\n");
    put(&source, "data/values.json", b"{\"v\": [1, 2]}");
    let out = exsh.ok(&["sync", source.to_str().unwrap(), "mydata:/reports"]);
    for expected in [
        "+ data/  (new collection)",
        "↑ a.xml  (new)",
        "↑ notes.txt  (new)",
        "↑ data/values.json  (new)",
    ] {
        assert!(out.contains(expected), "exsh sync push said:\n{out}");
    }
    assert_eq!(
        server.names("/db/interop/reports"),
        ["a.xml", "data/", "notes.txt"]
    );
    let pulled = pair.root.path().join("ferry-pulled");
    let run = pair.ferry_with_password(&[
        "sync",
        &server.url("interop/reports"),
        pulled.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
    assert_eq!(
        tree(&pulled),
        tree(&source),
        "ferry reads what exsh wrote, byte for byte"
    );

    // exsh ls reads the listing: names, permissions, owner and the timestamp format.
    let listing = exsh.ok(&["ls", "mydata:/reports"]);
    let line = listing
        .lines()
        .find(|l| l.starts_with("a.xml"))
        .expect(&listing);
    assert!(
        line.contains("rw-r--r--") && line.contains("admin"),
        "{listing}"
    );
    let stamp = line.split_whitespace().last().unwrap();
    assert!(
        stamp.len() >= 20 && stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
        "an xs:dateTime in UTC: {stamp}"
    );
    assert!(listing.lines().any(|l| l.starts_with("data/")), "{listing}");

    // exsh put (from stdin) and cat.
    let (code, out, err) = exsh.run(&["put", "mydata:/reports/p.xml"], Some(b"<p>from exsh</p>"));
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(
        exsh.ok(&["cat", "mydata:/reports/p.xml"]).trim(),
        "<p>from exsh</p>"
    );
    assert_eq!(
        server.get("/db/interop/reports/p.xml").body,
        b"<p>from exsh</p>"
    );

    // ferry pushes; exsh cat and exsh sync pull read it.
    put(&pair.src, "from-ferry.xml", b"<f>ferry</f>");
    put(&pair.src, "deep/er/bytes.bin", &[0u8, 1, 2, 255]);
    let run = pair.ferry_with_password(&[
        "sync",
        pair.src.to_str().unwrap(),
        &server.url("interop/fromferry"),
    ]);
    assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
    assert_eq!(
        exsh.ok(&["cat", "mydata:/fromferry/from-ferry.xml"]).trim(),
        "<f>ferry</f>"
    );
    let exsh_pulled = pair.root.path().join("exsh-pulled");
    let out = exsh.ok(&["sync", "mydata:/fromferry", exsh_pulled.to_str().unwrap()]);
    assert!(out.contains("↓ from-ferry.xml  (new)"), "{out}");
    assert_eq!(text(&exsh_pulled.join("from-ferry.xml")), "<f>ferry</f>");
    assert_eq!(
        std::fs::read(exsh_pulled.join("deep/er/bytes.bin")).unwrap(),
        [0u8, 1, 2, 255]
    );
    // A second exsh pull finds nothing to do: the listing's last-modified strings are stable.
    let out = exsh.ok(&["sync", "mydata:/fromferry", exsh_pulled.to_str().unwrap()]);
    assert!(!out.contains('↓'), "{out}");

    // Names are stored encoded, as eXist does: ferry round-trips a collection with a space,
    // while exsh 0.2.0 quotes the listed `sub%20dir` again and gets a 404 — the bug
    // exist-rest.md §14 predicts against a real eXist.
    put(&pair.src, "sub dir/x.txt", b"x");
    let run = pair.ferry_with_password(&[
        "sync",
        pair.src.to_str().unwrap(),
        &server.url("interop/fromferry"),
    ]);
    assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
    assert_eq!(
        server.names("/db/interop/fromferry"),
        ["deep/", "from-ferry.xml", "sub%20dir/"]
    );
    let (code, out, err) = exsh.run(
        &["sync", "mydata:/fromferry", exsh_pulled.to_str().unwrap()],
        None,
    );
    assert_ne!(code, 0);
    assert!(
        format!("{out}{err}").contains("Not found: /db/interop/fromferry/sub%20dir"),
        "{out} {err}"
    );
}
