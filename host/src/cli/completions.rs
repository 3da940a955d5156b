//! `ferry completions SHELL` (shell completion scripts) and the hidden `ferry man --dir DIR` (man
//! pages: `ferry.1` and one `ferry-SUBCOMMAND.1` each), both generated from the same clap
//! definitions as `--help`, so they never drift apart.

use std::{io::Write, path::PathBuf, process::ExitCode};

use anyhow::{Context, Result};
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;

/// Arguments of `ferry completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell
    pub shell: Shell,
}

/// Arguments of `ferry man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Where to write ferry.1 and ferry-SUBCOMMAND.1
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
}

/// Bash: also offer the configured remotes (`NAME:`) wherever a target may go, read from
/// `ferry remote list --names` at completion time, so a remote added later is offered at once.
const BASH_REMOTES: &str = r#"
_ferry_with_remotes() {
    _ferry "$@"
    local cur="${COMP_WORDS[COMP_CWORD]}"
    if [[ "$cur" != -* && "$cur" != */* ]]; then
        local remote
        while IFS= read -r remote; do
            [[ "$remote:" == "$cur"* ]] && COMPREPLY+=("$remote:")
        done < <(ferry remote list --names 2>/dev/null)
    fi
}
complete -F _ferry_with_remotes -o nosort -o bashdefault -o default ferry 2>/dev/null \
    || complete -F _ferry_with_remotes -o bashdefault -o default ferry
"#;

/// Zsh: the same, in a wrapper that runs clap's `_ferry` first and then adds the remotes, with
/// the words as they were before `_ferry` narrowed them to the subcommand's; also the bare names
/// after `ferry remote show|remove|set-password`. It replaces the dispatch at the end of clap's
/// script, so it works both sourced and autoloaded from `fpath`.
const ZSH_REMOTES: &str = r#"
_ferry_with_remotes() {
    local -a before=("${words[@]}")
    local at=$CURRENT prefix=$PREFIX
    _ferry "$@"
    local -a remotes=(${(f)"$(ferry remote list --names 2>/dev/null)"})
    (( ${#remotes} )) || return 0
    case ${before[2]} in
        sync|upload|download|bisync|check|ls)
            if (( at > 2 )) && [[ $prefix != -* && $prefix != */* ]]; then
                compadd -S '' -- ${^remotes}:
            fi ;;
        remote)
            if (( at == 4 )) && [[ ${before[3]} == (show|remove|set-password) ]]; then
                compadd -- $remotes
            fi ;;
    esac
    return 0
}

if [ "$funcstack[1]" = "_ferry" ]; then
    _ferry_with_remotes "$@"
else
    compdef _ferry_with_remotes ferry
fi
"#;

/// The end of clap's zsh script, replaced by [`ZSH_REMOTES`].
const ZSH_DISPATCH: &str = r#"
if [ "$funcstack[1]" = "_ferry" ]; then
    _ferry "$@"
else
    compdef _ferry ferry
fi
"#;

/// Fish: the remotes (`NAME:`) as arguments of the commands that take targets, and the bare
/// names after `ferry remote show|remove|set-password`; files are still offered.
const FISH_REMOTES: &str = r#"
function __ferry_remotes
    ferry remote list --names 2>/dev/null
end
complete -c ferry -n "__fish_seen_subcommand_from sync upload download bisync check ls" -a "(__ferry_remotes | string replace -r '\$' ':')" -d remote
complete -c ferry -n "__fish_seen_subcommand_from remote; and __fish_seen_subcommand_from show remove set-password" -f -a "(__ferry_remotes)" -d remote
"#;

/// Prints the completion script for a shell.
pub fn completions(args: &CompletionsArgs) -> Result<ExitCode> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "ferry", &mut out);
    let out = match args.shell {
        Shell::Bash => [out, BASH_REMOTES.as_bytes().to_vec()].concat(),
        Shell::Zsh => {
            let script = String::from_utf8(out).context("clap's zsh script")?;
            let body = script
                .strip_suffix(ZSH_DISPATCH)
                .context("clap's zsh script no longer ends in its usual dispatch")?;
            format!("{body}{ZSH_REMOTES}").into_bytes()
        }
        Shell::Fish => [out, FISH_REMOTES.as_bytes().to_vec()].concat(),
        _ => out,
    };
    std::io::stdout().lock().write_all(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the man pages: `ferry.1` and a page for every subcommand at any depth
/// (`ferry-remote-list.1`), each with the global options and the EXIT STATUS, ENVIRONMENT and
/// FILES sections, so every page a SUBCOMMANDS list names exists.
pub fn man(args: &ManArgs) -> Result<ExitCode> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    // Built once at the top, so the global options reach every subcommand and each gets its
    // `ferry-…` display name.
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    write_pages(&args.dir, &command)?;
    Ok(ExitCode::SUCCESS)
}

fn write_pages(dir: &std::path::Path, command: &clap::Command) -> Result<()> {
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(dir, sub)?;
    }
    let name = command
        .get_display_name()
        .unwrap_or_else(|| command.get_name())
        .to_string();
    let path = dir.join(format!("{name}.1"));
    let page = clap_mangen::Man::new(command.clone());
    let mut out = Vec::new();
    page.render_title(&mut out)?;
    page.render_name_section(&mut out)?;
    page.render_synopsis_section(&mut out)?;
    page.render_description_section(&mut out)?;
    if command.get_arguments().any(|a| !a.is_hide_set()) {
        page.render_options_section(&mut out)?;
    }
    if command.get_subcommands().any(|s| !s.is_hide_set()) {
        page.render_subcommands_section(&mut out)?;
    }
    shared_sections(&name).to_writer(&mut out)?;
    page.render_version_section(&mut out)?;
    std::fs::write(&path, out).with_context(|| format!("cannot write {}", path.display()))
}

/// EXIT STATUS, ENVIRONMENT, FILES and SEE ALSO, the same on every page (docs/user-guide.md).
fn shared_sections(page: &str) -> clap_mangen::roff::Roff {
    use clap_mangen::roff::{bold, roman, Roff};
    let mut roff = Roff::default();
    let list = |roff: &mut Roff, heading: &str, items: &[(&str, &str)]| {
        roff.control("SH", [heading]);
        for (term, text) in items {
            roff.control("TP", []);
            roff.text([bold(*term)]);
            roff.text([roman(*text)]);
        }
    };
    list(
        &mut roff,
        "EXIT STATUS",
        &[
            ("0", "In sync: everything was done."),
            (
                "1",
                "An action failed (the run went on), or --fail-fast stopped the run.",
            ),
            (
                "2",
                "A usage, configuration, authentication or connection error before any transfer.",
            ),
            (
                "3",
                "Finished, but conflicts or invalid files were skipped (ferry check: not in sync).",
            ),
            (
                "130",
                "Interrupted (Ctrl-C); the state is saved and the next run resumes.",
            ),
        ],
    );
    list(
        &mut roff,
        "ENVIRONMENT",
        &[
            ("FERRY_PASSWORD", "The password when none names the server (a remote's password_command, the netrc machine entry and the keyring come first)."),
            ("FERRY_PLUGIN_PATH", "Directories (colon-separated) searched for backend plugins after --plugin-dir."),
            ("XDG_CONFIG_HOME", "Where config/ferry/config.toml is (default ~/.config)."),
            ("XDG_STATE_HOME", "Where the sync states are kept (default ~/.local/state)."),
            ("XDG_DATA_HOME", "Where user-installed plugins are searched (default ~/.local/share)."),
            ("XDG_CACHE_HOME", "Where the plugin registry cache is kept (default ~/.cache)."),
            ("NETRC", "The netrc file to read instead of ~/.netrc."),
            ("NO_COLOR", "When set and not empty, --color auto does not colour."),
        ],
    );
    list(
        &mut roff,
        "FILES",
        &[
            (
                "~/.config/ferry/config.toml",
                "Named remotes (ferry remote list).",
            ),
            (
                "~/.local/state/ferry/",
                "One sync state per pair of targets (ferry state list), with its journal and lock.",
            ),
            (
                "~/.netrc",
                "Passwords by host, as ftp(1) and curl read them.",
            ),
            (
                "ferry.toml",
                "Tasks of a project (ferry run), found in the current directory or a parent.",
            ),
            (
                "~/.local/share/ferry/plugins-EPOCH/",
                "Backend plugins installed for the user.",
            ),
            (
                "~/.cache/ferry/plugins-EPOCH.json",
                "What each plugin library serves, so a command loads only the plugin it uses; safe to delete.",
            ),
        ],
    );
    if page != "ferry" {
        roff.control("SH", ["SEE ALSO"]);
        roff.text([bold("ferry"), roman("(1)")]);
    }
    roff
}
