//! `ferry remote list|show|add|remove|set-password`: the named remotes of the configuration.
//! `list` and `show` print URLs without passwords and option values of secret-looking keys as
//! `***`; `add` and `remove` edit the file in place (toml_edit), keeping its comments and
//! order, so it stays hand-editable; `set-password` stores a password in the system keyring
//! (service `ferry`, account `USER@HOST`, where the password chain looks), never in the file.

use std::{io::IsTerminal, path::PathBuf, process::ExitCode};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use ferry_plugin_api::location::Location;

use super::GlobalArgs;
use crate::{
    config::{default_path, valid_remote_name, Remote},
    target::{redact_password, TargetSpec},
};

/// Arguments of `ferry remote`.
#[derive(Debug, Args)]
pub struct RemoteArgs {
    #[command(subcommand)]
    pub action: RemoteAction,
}

/// What `ferry remote` does.
#[derive(Debug, Subcommand)]
pub enum RemoteAction {
    /// List the named remotes of the configuration file
    List {
        /// Only the names, one a line (for scripts and shell completion)
        #[arg(long)]
        names: bool,
    },
    /// Show one remote: its URL, backend, password command and options (secrets hidden)
    Show {
        /// The remote's name
        name: String,
    },
    /// Add a remote to the configuration file (its comments and order are kept); --backend
    /// forces its plugin
    Add(AddArgs),
    /// Remove a remote from the configuration file
    Remove {
        /// The remote's name
        name: String,
    },
    /// Store the remote's password in the system keyring (asked on a terminal, else read from
    /// standard input)
    SetPassword {
        /// The remote's name
        name: String,
    },
}

/// Arguments of `ferry remote add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The new remote's name (letters, digits, `_`, `-`, `.`; at least two characters)
    pub name: String,
    /// Its root URL, without a password (ftp://user@host/dir, exist://host:8080/db/x, …)
    pub url: String,
    /// A command whose output is the password (e.g. "pass show web")
    #[arg(long, value_name = "COMMAND")]
    pub password_command: Option<String>,
    /// A plugin option, KEY=VALUE (repeatable; VALUE as TOML when it parses: 2, true, else text)
    #[arg(short = 'o', long = "option", value_name = "KEY=VALUE")]
    pub options: Vec<String>,
}

/// Runs `ferry remote`.
pub fn run(global: &GlobalArgs, args: &RemoteArgs) -> Result<ExitCode> {
    match &args.action {
        RemoteAction::List { names: true } => {
            for name in global.config()?.remotes.keys() {
                crate::outln!("{name}");
            }
            Ok(ExitCode::SUCCESS)
        }
        RemoteAction::List { names: false } => list(global),
        RemoteAction::Show { name } => show(global, name),
        RemoteAction::Add(add_args) => add(global, add_args),
        RemoteAction::Remove { name } => remove(global, name),
        RemoteAction::SetPassword { name } => set_password(global, name),
    }
}

fn list(global: &GlobalArgs) -> Result<ExitCode> {
    let config = global.config()?;
    let Some(path) = &config.path else {
        crate::outln!(
            "no configuration file (looked for {})",
            shown_default_path()
        );
        return Ok(ExitCode::SUCCESS);
    };
    if config.remotes.is_empty() {
        crate::outln!("no remotes in {}", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<(String, String, String)> = config
        .remotes
        .iter()
        .map(|(name, remote)| {
            let mut details = Vec::new();
            if let Some(backend) = &remote.backend {
                details.push(format!("backend {backend}"));
            }
            if remote.password_command.is_some() {
                details.push("password_command".to_string());
            }
            let keys: Vec<&str> = remote.options.keys().map(String::as_str).collect();
            if !keys.is_empty() {
                details.push(format!("options: {}", keys.join(", ")));
            }
            let details = if details.is_empty() {
                String::new()
            } else {
                format!("({})", details.join("; "))
            };
            (name.clone(), redact_password(&remote.url), details)
        })
        .collect();
    // Columns line up: names, then URLs, then what else the remote sets.
    let name_width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let url_width = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    for (name, url, details) in rows {
        let line = format!("{name:<name_width$}  {url:<url_width$}  {details}");
        crate::outln!("{}", line.trim_end());
    }
    Ok(ExitCode::SUCCESS)
}

fn shown_default_path() -> String {
    default_path()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "~/.config/ferry/config.toml".into())
}

/// The remote called `name`, or an error that lists the ones there are.
fn find<'c>(config: &'c crate::config::Config, name: &str) -> Result<&'c Remote> {
    config.remotes.get(name).with_context(|| {
        let known: Vec<&str> = config.remotes.keys().map(String::as_str).collect();
        if known.is_empty() {
            format!(
                "no remote named `{name}`: the configuration has none (ferry remote add NAME URL)"
            )
        } else {
            format!("no remote named `{name}` (there are: {})", known.join(", "))
        }
    })
}

/// Is an option of this name a secret, shown as `***`?
fn secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "secret", "token", "passphrase", "key"]
        .iter()
        .any(|word| key.contains(word))
}

fn show(global: &GlobalArgs, name: &str) -> Result<ExitCode> {
    let config = global.config()?;
    let remote = find(&config, name)?;
    crate::outln!("{name}");
    crate::outln!("  url               {}", redact_password(&remote.url));
    if let Some(backend) = &remote.backend {
        crate::outln!("  backend           {backend}");
    }
    if let Some(command) = &remote.password_command {
        crate::outln!("  password_command  {command}");
    }
    for (key, value) in &remote.options {
        let shown = if secret(key) {
            "***".to_string()
        } else {
            value.to_string()
        };
        crate::outln!("  {key:<16}  {shown}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The file `add` and `remove` edit: `--config FILE`, else the default.
fn config_path(global: &GlobalArgs) -> Result<PathBuf> {
    global
        .config
        .clone()
        .or_else(default_path)
        .context("neither $XDG_CONFIG_HOME nor $HOME is set; give the file with --config FILE")
}

fn read_document(path: &std::path::Path) -> Result<toml_edit::DocumentMut> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot read the configuration {}", path.display()))
        }
    };
    text.parse()
        .with_context(|| format!("bad configuration {}", path.display()))
}

/// Writes the file whole through a temporary file, so a crash leaves the old one.
fn write_document(path: &std::path::Path, document: &toml_edit::DocumentMut) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let temporary = path.with_extension("toml.ferry-tmp");
    std::fs::write(&temporary, document.to_string())
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("cannot replace {}", path.display()))
}

fn add(global: &GlobalArgs, args: &AddArgs) -> Result<ExitCode> {
    let name = args.name.as_str();
    if !valid_remote_name(name) {
        bail!("`{name}` cannot name a remote: use letters, digits, `_`, `-` and `.`, at least two characters");
    }
    // A local directory (a backup disk) is kept as a file:// URL of its absolute path.
    let (scheme, url) = match TargetSpec::parse(&args.url)? {
        TargetSpec::Url { scheme, url } => (scheme, url),
        TargetSpec::Local(_) if args.url.contains("://") => ("file".into(), args.url.clone()),
        TargetSpec::Local(path) => ("file".into(), format!("file://{}", path.display())),
    };
    let url = &url;
    if Location::parse(url).is_ok_and(|l| l.password.is_some()) {
        bail!("the URL holds a password; ferry keeps none in its configuration: use `ferry remote set-password {name}`, --password-command or ~/.netrc");
    }
    let registry = global.registry();
    let plugin = match &global.backend {
        Some(backend) => registry.get(backend)?,
        None => registry.for_scheme(&scheme)?,
    };
    let declared: Vec<&str> = plugin
        .info
        .options
        .iter()
        .map(|o| o.name.as_str())
        .filter(|&key| key != "location")
        .collect();
    let path = config_path(global)?;
    let mut document = read_document(&path)?;
    let remotes = document
        .entry("remotes")
        .or_insert_with(|| {
            let mut table = toml_edit::Table::new();
            table.set_implicit(true);
            toml_edit::Item::Table(table)
        })
        .as_table_mut()
        .with_context(|| format!("{}: `remotes` is not a table", path.display()))?;
    if remotes.contains_key(name) {
        bail!(
            "{} already has a remote named `{name}`; `ferry remote remove {name}` first, or edit the file",
            path.display()
        );
    }
    let mut table = toml_edit::Table::new();
    table.insert("url", toml_edit::value(url.as_str()));
    if let Some(backend) = &global.backend {
        table.insert("backend", toml_edit::value(backend.as_str()));
    }
    if let Some(command) = &args.password_command {
        table.insert("password_command", toml_edit::value(command.as_str()));
    }
    for option in &args.options {
        let (key, value) = option
            .split_once('=')
            .with_context(|| format!("-o {option}: expected KEY=VALUE"))?;
        let key = key.trim();
        if matches!(key, "password" | "location") {
            bail!("-o {option}: `{key}` is not kept in the configuration (see ferry remote set-password)");
        }
        if !declared.contains(&key) {
            bail!(
                "-o {option}: the {} plugin has no option `{key}` (it has: {})",
                plugin.name(),
                declared.join(", ")
            );
        }
        let value = value
            .parse::<toml_edit::Value>()
            .unwrap_or_else(|_| toml_edit::Value::from(value));
        table.insert(key, toml_edit::Item::Value(value));
    }
    remotes.insert(name, toml_edit::Item::Table(table));
    write_document(&path, &document)?;
    crate::outln!("added the remote `{name}` to {}", path.display());
    Ok(ExitCode::SUCCESS)
}

fn remove(global: &GlobalArgs, name: &str) -> Result<ExitCode> {
    let path = config_path(global)?;
    let mut document = read_document(&path)?;
    let removed = document
        .get_mut("remotes")
        .and_then(|item| item.as_table_like_mut())
        .and_then(|remotes| remotes.remove(name));
    if removed.is_none() {
        bail!("{} has no remote named `{name}`", path.display());
    }
    write_document(&path, &document)?;
    crate::outln!("removed the remote `{name}` from {}", path.display());
    Ok(ExitCode::SUCCESS)
}

fn set_password(global: &GlobalArgs, name: &str) -> Result<ExitCode> {
    let config = global.config()?;
    let remote = find(&config, name)?;
    let location = Location::parse(&remote.url)
        .with_context(|| format!("the remote `{name}` has no URL with a host"))?;
    let user = remote
        .options
        .get("user")
        .and_then(|v| v.as_str())
        .map(String::from)
        .or(location.user)
        .with_context(|| {
            format!("the remote `{name}` names no user; put one in its URL (scheme://USER@host/…) or a `user` option, so the password has an account")
        })?;
    let host = location.host;
    let password = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("password for {user}@{host}: "))
            .context("cannot read the password")?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    if password.is_empty() {
        bail!("no password given; nothing stored");
    }
    crate::target::credentials::store_in_keyring(&host, &user, &password)?;
    crate::outln!("stored the password for {user}@{host} in the system keyring");
    Ok(ExitCode::SUCCESS)
}
