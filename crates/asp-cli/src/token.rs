//! `asp-encode token`: mints a signed view token that expires, for a server
//! started with `--serve --token-key FILE` (see `asp_server::token`).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use asp_server::token::TokenKey;

/// `asp-encode token --token-key FILE --expires 1h`.
#[derive(Clone, Debug, clap::Args)]
pub struct MintArgs {
    /// The server's key file (the same as its --token-key).
    #[arg(long, value_name = "FILE")]
    pub token_key: PathBuf,
    /// How long the token admits viewers, e.g. 90s, 30m, 1h, 7d.
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = humantime::parse_duration)]
    pub expires: Duration,
}

/// Reads a key file (at least 32 bytes; surrounding whitespace trimmed).
pub fn read_key(path: &Path) -> Result<TokenKey> {
    let content = std::fs::read(path).with_context(|| format!("--token-key {}", path.display()))?;
    TokenKey::from_file_content(&content).map_err(|e| anyhow::anyhow!("--token-key {}: {e}", path.display()))
}

/// The token, valid for `args.expires` from now.
pub fn mint(args: &MintArgs) -> Result<String> {
    let key = read_key(&args.token_key)?;
    let expires = SystemTime::now().checked_add(args.expires).context("--expires: too far in the future")?;
    Ok(key.mint(expires))
}
