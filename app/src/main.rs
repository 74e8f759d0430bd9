//! The `mibee-nvr` command line: `serve` (the default), `check`, `hash-password`, and the
//! offline `backup` and `restore` (with the daemon stopped; while it runs, use the API).

use clap::{Parser, Subcommand};
use mibee_nvr::config::check_file;
use mibee_nvr::db::{DB_FILE_NAME, Db};
use mibee_nvr::server::{ServeOptions, serve};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "mibee-nvr",
    version,
    about = "MiBee NVR: network video recorder daemon"
)]
struct Cli {
    /// The config file; created with defaults when missing. Its directory is the data dir.
    #[arg(
        long,
        global = true,
        env = "MIBEE_CONFIG",
        default_value = "/data/mibee-nvr.toml"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon (the default).
    Serve {
        /// Listen address for this run only, overriding server.listen (e.g. 127.0.0.1:0).
        #[arg(long)]
        listen: Option<String>,
        /// Write the bound address to this file once listening.
        #[arg(long)]
        ready_file: Option<PathBuf>,
        /// Tests and fuzzing: connect only to cameras at 127.0.0.0/8 or ::1 IP literals.
        #[arg(long, hide = true, env = "MIBEE_LOOPBACK_CAMERAS_ONLY")]
        loopback_cameras_only: bool,
        /// Feed this hardware watchdog (e.g. /dev/watchdog) while the daemon is healthy.
        #[arg(long, env = "MIBEE_WATCHDOG")]
        watchdog: Option<PathBuf>,
        /// The watchdog's timeout in seconds.
        #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(2..=600))]
        watchdog_timeout: u32,
    },
    /// Validate the config file and verify the database's invariants, then exit.
    Check,
    /// Print an argon2id hash for auth.password_hash (reads stdin when no argument).
    HashPassword { password: Option<String> },
    /// Back up the config and the database to <data dir>/backups (daemon stopped; while it
    /// runs use POST /api/backup). Prints the archive's path.
    Backup {
        /// Also copy the archive here.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Restore a backup archive (daemon stopped; while it runs use the API). The archive
    /// is validated first; a foreign or corrupt one changes nothing.
    Restore { file: PathBuf },
    /// On the appliance: verify a signed update bundle and install it into the inactive
    /// slot (the next boot tries it once). Same checks as POST /api/system/update.
    Update {
        bundle: PathBuf,
        /// Reboot into the new slot once installed.
        #[arg(long)]
        reboot: bool,
    },
    /// Build a signed update bundle from a root filesystem image (and a boot partition).
    UpdateBundle {
        /// File holding the hex ed25519 signing key (from update-keygen).
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        version: String,
        #[arg(long)]
        board: String,
        #[arg(long)]
        rootfs: PathBuf,
        #[arg(long)]
        bootfs: Option<PathBuf>,
        #[arg(long)]
        out: PathBuf,
    },
    /// On the appliance's first boot: grow the data partition (the last logical one) and
    /// its mounted ext4 to the end of the card.
    GrowData {
        #[arg(long)]
        disk: PathBuf,
        #[arg(long)]
        part: u32,
        #[arg(long, default_value = "/data")]
        mount: PathBuf,
    },
    /// Create an update signing key: writes the private key (hex) to KEY and prints the
    /// public key (hex) that goes into the image as /etc/nvr/update.pub.
    UpdateKeygen { key: PathBuf },
}

/// One glibc malloc arena for the whole process. Camera frames are allocated by whichever
/// worker thread polls the camera's task and freed when their GOP is written; with an arena
/// per thread (or two) every arena keeps its own high-water of GOP buffers. Measured with
/// 8 cameras (static release build, side by side in one run): anonymous RSS 9.6 MiB with one
/// arena against 15.6-17.0 MiB with two, CPU within the run-to-run noise (design/overview.md,
/// "Resource budget").
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: mallopt only adjusts allocator parameters; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let result = match cli.command.unwrap_or(Command::Serve {
        listen: None,
        ready_file: None,
        loopback_cameras_only: false,
        watchdog: None,
        watchdog_timeout: 15,
    }) {
        Command::Serve {
            listen,
            ready_file,
            loopback_cameras_only,
            watchdog,
            watchdog_timeout,
        } => {
            mibee_nvr::net_policy::init(mibee_nvr::net_policy::NetPolicy {
                loopback_only: loopback_cameras_only,
            });
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(anyhow::Error::from)
                .and_then(|rt| {
                    rt.block_on(serve(ServeOptions {
                        config_path: cli.config,
                        listen,
                        ready_file,
                        watchdog: watchdog.map(|w| (w, watchdog_timeout)),
                    }))
                })
        }
        Command::Check => check(&cli.config),
        Command::HashPassword { password } => hash_password(password),
        Command::Backup { output } => backup(&cli.config, output),
        Command::Restore { file } => restore(&cli.config, &file),
        Command::Update { bundle, reboot } => update(&cli.config, &bundle, reboot),
        Command::UpdateBundle {
            key,
            version,
            board,
            rootfs,
            bootfs,
            out,
        } => update_bundle(&key, &version, &board, &rootfs, bootfs.as_deref(), &out),
        Command::UpdateKeygen { key } => update_keygen(&key),
        Command::GrowData { disk, part, mount } => {
            match mibee_nvr::grow::grow(&disk, part, &mount) {
                Ok(Some(bytes)) => {
                    println!("data partition grown to {} MiB", bytes >> 20);
                    Ok(())
                }
                Ok(None) => {
                    println!("data partition already fills the disk");
                    Ok(())
                }
                Err(e) => Err(anyhow::anyhow!("growing {}: {e}", disk.display())),
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mibee-nvr: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn check(config: &std::path::Path) -> anyhow::Result<()> {
    let cfg = check_file(config).map_err(|e| anyhow::anyhow!("config: {e}"))?;
    println!(
        "config ok: {} ({} cameras)",
        config.display(),
        cfg.cameras.len()
    );
    let data_dir = data_dir(config);
    let db_path = data_dir.join(DB_FILE_NAME);
    if !db_path.exists() {
        println!(
            "database: none yet at {} (created at first start)",
            db_path.display()
        );
        return Ok(());
    }
    let summary = Db::open(&db_path)?.check()?;
    if !Db::check_integrity(&db_path)? {
        anyhow::bail!(
            "database {}: integrity check repaired damage; re-run check",
            db_path.display()
        );
    }
    println!("database ok: {} ({summary})", db_path.display());
    let root = cfg.storage_root(data_dir);
    let db = Db::open(&db_path)?;
    let disk = mibee_nvr::storage::orphans::verify(&db, &root)
        .map_err(|e| anyhow::anyhow!("storage {}: {e}", root.display()))?;
    println!("storage ok: {} ({disk})", root.display());
    Ok(())
}

fn data_dir(config: &std::path::Path) -> &std::path::Path {
    config
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."))
}

fn open_offline(db_path: &std::path::Path) -> anyhow::Result<Db> {
    Db::open(db_path).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e} (is the daemon running? stop it, or use the API)",
            db_path.display()
        )
    })
}

fn backup(config: &std::path::Path, output: Option<PathBuf>) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(config)
        .map_err(|e| anyhow::anyhow!("{}: {e}", config.display()))?;
    let dir = data_dir(config);
    let db = open_offline(&dir.join(DB_FILE_NAME))?;
    let b = mibee_nvr::backup::create(&db, &text, dir)?;
    if let Some(out) = output {
        std::fs::copy(&b.path, &out)?;
        println!("{}", out.display());
    } else {
        println!("{}", b.path);
    }
    Ok(())
}

fn restore(config: &std::path::Path, file: &std::path::Path) -> anyhow::Result<()> {
    let dir = data_dir(config);
    let staged = mibee_nvr::backup::stage(file, dir)?;
    let db = open_offline(&dir.join(DB_FILE_NAME))?;
    db.replace_with(&staged.db_path)?;
    mibee_nvr::fsutil::write_atomic(config, staged.config_text.as_bytes(), 0o600)?;
    let cfg = &staged.config;
    let root = cfg.storage_root(dir);
    let segment_ns = cfg.storage.segment_ns();
    let r = mibee_nvr::storage::orphans::reconcile_after_restore(
        &db,
        &root,
        segment_ns,
        &Default::default(),
    )?;
    println!(
        "restored {} ({} cameras); {} recordings whose video was deleted since were dropped, {} newer media files indexed",
        file.display(),
        cfg.cameras.len(),
        r.dropped_recordings,
        r.adopted_files
    );
    Ok(())
}

fn update(config: &std::path::Path, bundle: &std::path::Path, reboot: bool) -> anyhow::Result<()> {
    use mibee_nvr::update;
    let key = std::fs::read_to_string("/etc/nvr/update.pub")
        .map_err(|e| anyhow::anyhow!("/etc/nvr/update.pub: {e} (not the appliance image?)"))?;
    let board = std::fs::read_to_string("/etc/nvr/board").unwrap_or_default();
    let stage = data_dir(config).join("update/staged");
    let v = update::verify(
        bundle,
        &update::parse_public_key(&key)?,
        board.trim(),
        &stage,
    )?;
    let said = update::install(&v, std::path::Path::new("/usr/sbin/nvr-bootctl"));
    let _ = std::fs::remove_dir_all(&stage);
    println!("{} (firmware {})", said?, v.manifest.version);
    if reboot {
        std::process::Command::new("/sbin/reboot").status()?;
    }
    Ok(())
}

fn update_bundle(
    key: &std::path::Path,
    version: &str,
    board: &str,
    rootfs: &std::path::Path,
    bootfs: Option<&std::path::Path>,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    use mibee_nvr::update;
    let key = update::parse_signing_key(&std::fs::read_to_string(key)?)?;
    let mut images = vec![("rootfs", rootfs)];
    if let Some(b) = bootfs {
        images.push(("bootfs", b));
    }
    update::build_bundle(&key, version, board, &images, out)?;
    println!("{}", out.display());
    Ok(())
}

fn update_keygen(key: &std::path::Path) -> anyhow::Result<()> {
    let (private, public) = mibee_nvr::update::generate_key();
    mibee_nvr::fsutil::write_atomic(key, format!("{private}\n").as_bytes(), 0o600)?;
    println!("{public}");
    Ok(())
}

fn hash_password(arg: Option<String>) -> anyhow::Result<()> {
    let password = match arg {
        Some(p) => p,
        None => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    println!("{}", mibee_nvr::auth::hash_password(&password)?);
    Ok(())
}
