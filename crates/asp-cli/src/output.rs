//! Where the tools write, kept safe:
//!
//! - an output that is one of the inputs (the same file by device and
//!   inode, through symlinks and hard links) is refused before anything is
//!   read, so `asp-encode a.y4m -o a.y4m` cannot truncate its own input;
//! - an existing file is replaced only with `--force` (a symlink is then
//!   replaced by the new file; what it pointed to is left alone);
//! - a file is written under a temporary name in its directory and renamed
//!   over the final name when the run succeeds (or is interrupted: then it
//!   holds every packet or frame finished before the signal), so a failed
//!   run leaves the previous file as it was and no partial file;
//! - every write and the final flush are checked, and their errors name the
//!   file.
//!
//! Standard output (`-`) is exempt from `--force` (the shell's redirection
//! already chose it) but not from the input check. Existing devices, FIFOs
//! and sockets (`/dev/null`, a named pipe) are written in place: there is
//! nothing to keep and renaming over them would replace the device node.
//! A live recording ([`Placement::Live`], `asp-encode --serve -o`) is also
//! written in place, under its final name, so it can be read while it grows
//! and survives the process being killed up to its last flushed packet.

use std::fs::{self, File, Metadata, OpenOptions, Permissions};
use std::io::{self, BufWriter, Stdout, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// Why an output could not be opened, written or put in place.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The output is one of the inputs (or another output of the same run).
    #[error("{output} is the same file as {other}: refusing to overwrite it")]
    SameFile { output: String, other: String },
    /// The output exists and `--force` was not given.
    #[error("{0} already exists (use --force to overwrite it)")]
    Exists(String),
    #[error("cannot create {name}: {source}")]
    Create { name: String, source: io::Error },
    #[error("writing {name}: {source}")]
    Write { name: String, source: io::Error },
    #[error("cannot put the finished output in place as {name}: {source}")]
    Persist { name: String, source: io::Error },
}

/// How an output file reaches its final name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Written to a temporary file, renamed over the final name at the end.
    Staged,
    /// Written under the final name as it goes (live recordings).
    Live,
}

/// What the tool must not overwrite: its inputs (`-` is standard input)
/// and its other outputs.
#[derive(Clone, Debug, Default)]
pub struct Guard {
    others: Vec<PathBuf>,
}

impl Guard {
    /// Nothing to protect yet.
    pub fn new() -> Guard {
        Guard::default()
    }

    /// Protects `path` (an input, or an output already claimed).
    pub fn protect(&mut self, path: &Path) {
        self.others.push(path.to_path_buf());
    }

    /// Refuses `output` if it is a file this guard protects
    /// (`/dev/stdout` checks standard output).
    pub fn check(&self, output: &Path) -> Result<(), OutputError> {
        let Some(out_meta) = metadata(output) else {
            // Nothing there yet: only another output of this run can name it.
            return match self.others.iter().find(|o| lexically_same(o, output)) {
                Some(other) => Err(OutputError::SameFile { output: display(output), other: display(other) }),
                None => Ok(()),
            };
        };
        for other in &self.others {
            let same = match metadata(other) {
                // Devices and pipes may be both read and written (a terminal).
                Some(m) => m.is_file() && m.dev() == out_meta.dev() && m.ino() == out_meta.ino(),
                None => lexically_same(other, output),
            };
            if same {
                return Err(OutputError::SameFile { output: display(output), other: display(other) });
            }
        }
        Ok(())
    }
}

/// The metadata of what `path` resolves to (`-` is standard input or
/// output as the process sees it), or `None` if nothing is there.
fn metadata(path: &Path) -> Option<Metadata> {
    fs::metadata(path).ok()
}

/// Two paths naming the same not-yet-existing entry: the same file name in
/// the same (resolved) directory. An output `-` is standard output.
fn lexically_same(a: &Path, b: &Path) -> bool {
    let stdout = |p: &Path| if p == Path::new("-") { Path::new("/dev/stdout").to_path_buf() } else { p.to_path_buf() };
    let (a, b) = (&stdout(a), &stdout(b));
    let resolve = |p: &Path| {
        let parent = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        Some((fs::canonicalize(parent).ok()?, p.file_name()?.to_os_string()))
    };
    match (resolve(a), resolve(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

/// `path` for messages: `-` is standard input or output.
fn display(path: &Path) -> String {
    match path.to_str() {
        Some("-") | Some("/dev/stdout") => "standard output".into(),
        Some("/dev/stdin") => "standard input".into(),
        _ => path.display().to_string(),
    }
}

/// The path to stat for an argument: `-` as an input is standard input.
pub fn input_path(arg: &Path) -> PathBuf {
    if arg == Path::new("-") {
        PathBuf::from("/dev/stdin")
    } else {
        arg.to_path_buf()
    }
}

/// Where the bytes go.
enum Sink {
    Stdout(BufWriter<Stdout>),
    /// Renamed to `target` by [`Output::finish`]; deleted if dropped before.
    Staged { file: BufWriter<NamedTempFile>, target: PathBuf, force: bool },
    InPlace(BufWriter<File>),
}

/// An output being written. Dropping it without [`Output::finish`] leaves
/// a staged file's previous contents in place.
pub struct Output {
    name: String,
    sink: Sink,
}

impl Output {
    /// Opens `path` (`-` for standard output) for writing, after checking it
    /// against `guard`. Without `force` an existing regular file is an error.
    pub fn create(path: &Path, guard: &Guard, force: bool, placement: Placement) -> Result<Output, OutputError> {
        let name = display(path);
        if path == Path::new("-") {
            guard.check(Path::new("/dev/stdout"))?;
            return Ok(Output { name, sink: Sink::Stdout(BufWriter::new(io::stdout())) });
        }
        guard.check(path)?;
        let existing = fs::symlink_metadata(path).ok();
        let special = metadata(path).is_some_and(|m| {
            let t = m.file_type();
            t.is_char_device() || t.is_block_device() || t.is_fifo() || t.is_socket()
        });
        if special {
            let opened = OpenOptions::new().write(true).open(path);
            let file = opened.map_err(|source| OutputError::Create { name: name.clone(), source })?;
            return Ok(Output { name, sink: Sink::InPlace(BufWriter::new(file)) });
        }
        if existing.is_some() && !force {
            return Err(OutputError::Exists(name));
        }
        let create_error = |source| OutputError::Create { name: name.clone(), source };
        let sink = match placement {
            Placement::Live => {
                let mut options = OpenOptions::new();
                options.write(true);
                if force {
                    options.create(true).truncate(true);
                } else {
                    // Atomic with the check above: a file created meanwhile is not clobbered.
                    options.create_new(true);
                }
                Sink::InPlace(BufWriter::new(options.open(path).map_err(create_error)?))
            }
            Placement::Staged => {
                let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let temp = tempfile::Builder::new()
                    .prefix(&format!(".{file_name}."))
                    .suffix(".part")
                    // What a plain create gives (the umask applies), not the temp file's 0600.
                    .permissions(Permissions::from_mode(0o666))
                    .tempfile_in(dir)
                    .map_err(create_error)?;
                Sink::Staged { file: BufWriter::new(temp), target: path.to_path_buf(), force }
            }
        };
        Ok(Output { name, sink })
    }

    /// The output as named in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn writer(&mut self) -> &mut dyn Write {
        match &mut self.sink {
            Sink::Stdout(w) => w,
            Sink::Staged { file, .. } => file,
            Sink::InPlace(w) => w,
        }
    }

    /// An I/O error of this output, naming it.
    pub fn write_error(&self, source: io::Error) -> OutputError {
        OutputError::Write { name: self.name.clone(), source }
    }

    /// Flushes everything written so far to the file (a live recording
    /// calls this after each packet).
    pub fn flush_checked(&mut self) -> Result<(), OutputError> {
        self.writer().flush().map_err(|e| self.write_error(e))
    }

    /// Flushes, syncs a staged file to disk and renames it over the final
    /// name. Every error names the file.
    pub fn finish(self) -> Result<(), OutputError> {
        let Output { name, sink } = self;
        let write_error = |source| OutputError::Write { name: name.clone(), source };
        match sink {
            Sink::Stdout(mut w) => w.flush().map_err(write_error),
            Sink::InPlace(w) => {
                let file = w.into_inner().map_err(|e| write_error(e.into_error()))?;
                file.sync_data().or_else(ignore_unsupported_sync).map_err(write_error)
            }
            Sink::Staged { file, target, force } => {
                let temp = file.into_inner().map_err(|e| write_error(e.into_error()))?;
                temp.as_file().sync_all().map_err(write_error)?;
                let persisted = if force { temp.persist(&target) } else { temp.persist_noclobber(&target) };
                persisted.map(drop).map_err(|e| match e.error.kind() {
                    io::ErrorKind::AlreadyExists => OutputError::Exists(name.clone()),
                    _ => OutputError::Persist { name: name.clone(), source: e.error },
                })
            }
        }
    }
}

/// Devices such as `/dev/null` cannot be synced; that is no write error.
fn ignore_unsupported_sync(e: io::Error) -> io::Result<()> {
    match e.raw_os_error() {
        Some(code) if code == 22 /* EINVAL */ || code == 95 /* EOPNOTSUPP */ => Ok(()),
        _ => Err(e),
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer().write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer().flush()
    }
}
